// The system header of CLibI2C (Debian: libi2c-dev), for the C shims that include it.
#include <i2c/smbus.h>
