/* Everything liburing declares: its library functions and its ~100 static
 * inline functions (SQE preparation, CQ/SQ ring access), which
 * cinline-build wraps as `foo__extern`. */
#include <liburing.h>
