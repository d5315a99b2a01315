// SPDX-License-Identifier: GPL-2.0
/*
 * spi-neuron-loopback: a software SPI controller for the NeuronHIL VM test.
 *
 * Mainline Linux has no software SPI controller and qemu's PC machine emulates none, so spidev cannot be tested
 * without one. This module registers one controller (bus number `bus_num`, default 0) with one device on chip
 * select 0, bound to spidev (driver_override), so /dev/spidev<bus>.0 appears. Each transfer answers like this:
 *
 *   mode=loopback (default)  rx = tx (MISO wired to MOSI)
 *   mode=mcp3208 / mcp3008   a 3-byte frame is answered as the chip would (datasheet figures 6-1 / 5-1 of
 *                            DS21298 / DS21295): the start bit, SGL/DIFF and D2..D0 are decoded from the
 *                            frame, and the code for that channel (module parameter `codes`, 8 values) is
 *                            clocked out MSB first after the null bit. Other lengths are answered with zeros.
 *
 * The last frame received is kept in /sys/module/spi_neuron_loopback/parameters/last_tx (hex), so a test
 * can check exactly what went out on MOSI.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/spi/spi.h>
#include <linux/string.h>

static int bus_num;
module_param(bus_num, int, 0444);
MODULE_PARM_DESC(bus_num, "SPI bus number (spidev node /dev/spidev<bus_num>.0)");

static char *mode = "loopback";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "loopback, mcp3208 or mcp3008");

static int codes[8];
static int ncodes;
module_param_array(codes, int, &ncodes, 0644);
MODULE_PARM_DESC(codes, "conversion result per channel in mcp3x08 mode");

static char last_tx[3 * 64 + 1];
module_param_string(last_tx, last_tx, sizeof(last_tx), 0444);

static struct platform_device *pdev;

static void answer_mcp3x08(const u8 *tx, u8 *rx, unsigned int len, unsigned int bits)
{
	unsigned int frame, start, channel, code;
	int i;

	memset(rx, 0, len);
	if (len != 3)
		return;
	frame = (tx[0] << 16) | (tx[1] << 8) | tx[2];
	/* The start bit is the first 1 clocked in; SGL/DIFF, D2, D1, D0 follow, then one sample clock. */
	for (start = 23; start > 0 && !(frame & (1u << start)); start--)
		;
	if (start < 6 + bits)
		return;
	channel = (frame >> (start - 4)) & 0x7;
	code = codes[channel] & ((1u << bits) - 1);
	/* After D0 comes one sample clock, then the null bit (0), then B(bits-1)..B0. */
	for (i = 0; i < (int)bits; i++) {
		int pos = (int)start - 4 - 2 - 1 - i; /* bit position in the 24-bit frame */
		if (pos < 0)
			break;
		if (code & (1u << (bits - 1 - i)))
			rx[2 - pos / 8] |= (u8)(1u << (pos % 8));
	}
}

static int loopback_transfer_one(struct spi_controller *ctlr, struct spi_device *spi, struct spi_transfer *t)
{
	const u8 *tx = t->tx_buf;
	u8 *rx = t->rx_buf;
	unsigned int i, n = 0;

	for (i = 0; tx && i < t->len && n + 3 < sizeof(last_tx); i++)
		n += scnprintf(last_tx + n, sizeof(last_tx) - n, "%02x", tx[i]);
	last_tx[n] = '\0';
	if (rx) {
		if (!tx)
			memset(rx, 0, t->len);
		else if (!strcmp(mode, "mcp3208"))
			answer_mcp3x08(tx, rx, t->len, 12);
		else if (!strcmp(mode, "mcp3008"))
			answer_mcp3x08(tx, rx, t->len, 10);
		else
			memcpy(rx, tx, t->len);
	}
	spi_finalize_current_transfer(ctlr);
	return 0;
}

static int loopback_probe(struct platform_device *p)
{
	struct spi_controller *ctlr;
	struct spi_device *spi;
	int ret;

	ctlr = devm_spi_alloc_master(&p->dev, 0);
	if (!ctlr)
		return -ENOMEM;
	ctlr->bus_num = bus_num;
	ctlr->num_chipselect = 1;
	ctlr->mode_bits = SPI_CPOL | SPI_CPHA | SPI_CS_HIGH | SPI_LSB_FIRST;
	ctlr->bits_per_word_mask = SPI_BPW_MASK(8);
	ctlr->min_speed_hz = 1000;
	ctlr->max_speed_hz = 125000000;
	ctlr->transfer_one = loopback_transfer_one;
	ret = devm_spi_register_controller(&p->dev, ctlr);
	if (ret)
		return ret;

	spi = spi_alloc_device(ctlr);
	if (!spi)
		return -ENOMEM;
	spi->chip_select = 0;
	spi->max_speed_hz = 1000000;
	spi->mode = SPI_MODE_0;
	strscpy(spi->modalias, "spidev", sizeof(spi->modalias));
	spi->driver_override = kstrdup("spidev", GFP_KERNEL);
	ret = spi_add_device(spi);
	if (ret) {
		spi_dev_put(spi);
		return ret;
	}
	return 0;
}

static struct platform_driver loopback_driver = {
	.probe = loopback_probe,
	.driver = { .name = "spi-neuron-loopback" },
};

static int __init loopback_init(void)
{
	int ret = platform_driver_register(&loopback_driver);

	if (ret)
		return ret;
	pdev = platform_device_register_simple("spi-neuron-loopback", -1, NULL, 0);
	if (IS_ERR(pdev)) {
		platform_driver_unregister(&loopback_driver);
		return PTR_ERR(pdev);
	}
	return 0;
}

static void __exit loopback_exit(void)
{
	platform_device_unregister(pdev);
	platform_driver_unregister(&loopback_driver);
}

module_init(loopback_init);
module_exit(loopback_exit);
MODULE_DESCRIPTION("Software SPI controller (loopback / MCP3x08 answers) for the NeuronHIL VM test");
MODULE_LICENSE("GPL");
