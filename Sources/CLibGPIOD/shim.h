// The system header of CLibGPIOD (Debian: libgpiod-dev), for the C shims that include it.
#include <gpiod.h>
