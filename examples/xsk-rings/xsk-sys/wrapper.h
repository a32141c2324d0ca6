#include <xdp/xsk.h>
