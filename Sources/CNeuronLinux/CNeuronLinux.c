// See include/CNeuronLinux.h.
#ifdef __linux__
#define _GNU_SOURCE
#include "CNeuronLinux.h"

#include <errno.h>
#if !__has_include(<i2c/smbus.h>)
#error "<i2c/smbus.h> not found: install libi2c-dev (Debian, Ubuntu: apt-get install libi2c-dev; or run Scripts/bootstrap.sh)"
#endif
#include <i2c/smbus.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

int CNeuronLinux_i2c_set_address(int fd, uint16_t address) { return ioctl(fd, I2C_SLAVE, (unsigned long)address); }

int CNeuronLinux_i2c_functionality(int fd, unsigned long *funcs) { return ioctl(fd, I2C_FUNCS, funcs); }

int CNeuronLinux_i2c_rdwr(int fd, uint16_t address, const uint8_t *write, uint16_t writeLength, uint8_t *read,
                          uint16_t readLength) {
    struct i2c_msg messages[2];
    unsigned n = 0;
    if (writeLength > 0 || readLength == 0) {
        messages[n].addr = address;
        messages[n].flags = 0;
        messages[n].len = writeLength;
        messages[n].buf = (uint8_t *)write;  // the kernel copies from it; it does not write through a write message
        n++;
    }
    if (readLength > 0) {
        messages[n].addr = address;
        messages[n].flags = I2C_M_RD;
        messages[n].len = readLength;
        messages[n].buf = read;
        n++;
    }
    struct i2c_rdwr_ioctl_data data = {.msgs = messages, .nmsgs = n};
    return ioctl(fd, I2C_RDWR, &data);
}

int32_t CNeuronLinux_smbus_write_quick(int fd, uint8_t value) { return i2c_smbus_write_quick(fd, value); }
int32_t CNeuronLinux_smbus_read_byte(int fd) { return i2c_smbus_read_byte(fd); }
int32_t CNeuronLinux_smbus_write_byte(int fd, uint8_t value) { return i2c_smbus_write_byte(fd, value); }
int32_t CNeuronLinux_smbus_read_byte_data(int fd, uint8_t command) { return i2c_smbus_read_byte_data(fd, command); }
int32_t CNeuronLinux_smbus_write_byte_data(int fd, uint8_t command, uint8_t value) {
    return i2c_smbus_write_byte_data(fd, command, value);
}
int32_t CNeuronLinux_smbus_read_word_data(int fd, uint8_t command) { return i2c_smbus_read_word_data(fd, command); }
int32_t CNeuronLinux_smbus_write_word_data(int fd, uint8_t command, uint16_t value) {
    return i2c_smbus_write_word_data(fd, command, value);
}
int32_t CNeuronLinux_smbus_read_i2c_block_data(int fd, uint8_t command, uint8_t length, uint8_t *values) {
    return i2c_smbus_read_i2c_block_data(fd, command, length, values);
}
int32_t CNeuronLinux_smbus_write_i2c_block_data(int fd, uint8_t command, uint8_t length, const uint8_t *values) {
    return i2c_smbus_write_i2c_block_data(fd, command, length, values);
}

unsigned long CNeuronLinux_I2C_FUNC_I2C(void) { return I2C_FUNC_I2C; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_QUICK(void) { return I2C_FUNC_SMBUS_QUICK; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_BYTE(void) { return I2C_FUNC_SMBUS_READ_BYTE; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_BYTE(void) { return I2C_FUNC_SMBUS_WRITE_BYTE; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_BYTE_DATA(void) { return I2C_FUNC_SMBUS_READ_BYTE_DATA; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_BYTE_DATA(void) { return I2C_FUNC_SMBUS_WRITE_BYTE_DATA; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_WORD_DATA(void) { return I2C_FUNC_SMBUS_READ_WORD_DATA; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_WORD_DATA(void) { return I2C_FUNC_SMBUS_WRITE_WORD_DATA; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_READ_I2C_BLOCK(void) { return I2C_FUNC_SMBUS_READ_I2C_BLOCK; }
unsigned long CNeuronLinux_I2C_FUNC_SMBUS_WRITE_I2C_BLOCK(void) { return I2C_FUNC_SMBUS_WRITE_I2C_BLOCK; }

int CNeuronLinux_spi_set_mode(int fd, uint32_t mode, uint32_t *readBack) {
    if (ioctl(fd, SPI_IOC_WR_MODE32, &mode) < 0) return -1;
    return ioctl(fd, SPI_IOC_RD_MODE32, readBack);
}

int CNeuronLinux_spi_set_max_speed(int fd, uint32_t hertz, uint32_t *readBack) {
    if (ioctl(fd, SPI_IOC_WR_MAX_SPEED_HZ, &hertz) < 0) return -1;
    return ioctl(fd, SPI_IOC_RD_MAX_SPEED_HZ, readBack);
}

int CNeuronLinux_spi_set_bits_per_word(int fd, uint8_t bits, uint8_t *readBack) {
    if (ioctl(fd, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0) return -1;
    return ioctl(fd, SPI_IOC_RD_BITS_PER_WORD, readBack);
}

int CNeuronLinux_spi_transfer(int fd, const uint8_t *write, uint8_t *read, uint32_t length, uint32_t speedHz) {
    struct spi_ioc_transfer transfer;
    memset(&transfer, 0, sizeof transfer);
    transfer.tx_buf = (unsigned long)write;
    transfer.rx_buf = (unsigned long)read;
    transfer.len = length;
    transfer.speed_hz = speedHz;
    transfer.bits_per_word = 8;
    return ioctl(fd, SPI_IOC_MESSAGE(1), &transfer);
}

int64_t CNeuronLinux_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int CNeuronLinux_sleep_until_ns(int64_t deadline) {
    if (deadline < 0) deadline = 0;
    struct timespec ts = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
    return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}
#endif  // __linux__
