#include <sys/socket.h>
#include <unistd.h>
