// CNeuronLinux: the C side of NeuronLinux's syscalls. Swift cannot call variadic `ioctl` or read kernel uAPI
// structs and request macros (I2C_RDWR, SPI_IOC_MESSAGE(n), ...) directly, so each ioctl NeuronLinux uses has
// one small function here. Names are prefixed CNeuronLinux_ (as swift-nio's CNIOLinux_). Every function returns
// what the underlying call returns and leaves errno as the kernel set it: -1 and errno for ioctl/open, the
// negative errno for libi2c's i2c_smbus_* (which also set errno). Nothing here allocates.
//
// Only NeuronLinux/Syscalls.swift calls these, so tests can trace them and force errors.
#ifndef CNEURONLINUX_H
#define CNEURONLINUX_H

#include <stdint.h>
#include <stddef.h>

#ifdef __linux__

// --- I2C (i2c-dev, Documentation/i2c/dev-interface.rst) ---

/// ioctl(fd, I2C_SLAVE, address): later reads, writes and SMBus calls on fd go to this 7-bit address. Fails with
/// EBUSY when a kernel driver has claimed the address (I2C_SLAVE_FORCE would override it; NeuronHIL never does).
int CNeuronLinux_i2c_set_address(int fd, uint16_t address);
/// ioctl(fd, I2C_FUNCS, &funcs): the adapter's functionality bits (I2C_FUNC_*).
int CNeuronLinux_i2c_functionality(int fd, unsigned long *funcs);
/// ioctl(fd, I2C_RDWR) with one write message and/or one read message (repeated START between them, STOP at
/// the end): the combined transfer of I2CBus.transaction. A zero length leaves that message out.
int CNeuronLinux_i2c_rdwr(int fd, uint16_t address, const uint8_t *write, uint16_t writeLength, uint8_t *read,
                          uint16_t readLength);

// SMBus transfers, through libi2c (<i2c/smbus.h>). Results >= 0 are data; < 0 is -errno.
int32_t CNeuronLinux_smbus_write_quick(int fd, uint8_t value);
int32_t CNeuronLinux_smbus_read_byte(int fd);
int32_t CNeuronLinux_smbus_write_byte(int fd, uint8_t value);
int32_t CNeuronLinux_smbus_read_byte_data(int fd, uint8_t command);
int32_t CNeuronLinux_smbus_write_byte_data(int fd, uint8_t command, uint8_t value);
int32_t CNeuronLinux_smbus_read_word_data(int fd, uint8_t command);
int32_t CNeuronLinux_smbus_write_word_data(int fd, uint8_t command, uint16_t value);
/// I2C block read (I2C_SMBUS_I2C_BLOCK_DATA): returns the number of bytes read (up to 32).
int32_t CNeuronLinux_smbus_read_i2c_block_data(int fd, uint8_t command, uint8_t length, uint8_t *values);
int32_t CNeuronLinux_smbus_write_i2c_block_data(int fd, uint8_t command, uint8_t length, const uint8_t *values);

// I2C functionality bits (linux/i2c.h), as functions so Swift sees them as plain values.
unsigned long CNeuronLinux_I2C_FUNC_I2C(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_QUICK(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_BYTE(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_BYTE(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_BYTE_DATA(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_BYTE_DATA(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_WORD_DATA(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_WORD_DATA(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_I2C_BLOCK(void);
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_I2C_BLOCK(void);

// --- SPI (spidev, Documentation/spi/spidev.rst) ---

/// SPI_IOC_WR_MODE32 then SPI_IOC_RD_MODE32: sets and reads back the mode bits (SPI_CPHA | SPI_CPOL | ...).
int CNeuronLinux_spi_set_mode(int fd, uint32_t mode, uint32_t *readBack);
/// SPI_IOC_WR_MAX_SPEED_HZ then SPI_IOC_RD_MAX_SPEED_HZ.
int CNeuronLinux_spi_set_max_speed(int fd, uint32_t hertz, uint32_t *readBack);
/// SPI_IOC_WR_BITS_PER_WORD then SPI_IOC_RD_BITS_PER_WORD.
int CNeuronLinux_spi_set_bits_per_word(int fd, uint8_t bits, uint8_t *readBack);
/// ioctl(fd, SPI_IOC_MESSAGE(1)): one full-duplex transfer of `length` bytes with CS asserted throughout.
/// Returns the number of bytes transferred, or -1 and errno.
int CNeuronLinux_spi_transfer(int fd, const uint8_t *write, uint8_t *read, uint32_t length, uint32_t speedHz);

// --- Time ---

/// clock_gettime(CLOCK_MONOTONIC) in nanoseconds.
int64_t CNeuronLinux_monotonic_ns(void);
/// clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline): 0 or the error number (EINTR, EINVAL); errno untouched.
int CNeuronLinux_sleep_until_ns(int64_t deadline);

#endif  // __linux__
#endif  // CNEURONLINUX_H
