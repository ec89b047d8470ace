# Writes a PNG the image examples can analyse: "STOP" in white block letters (a 5x7 pixel font
# scaled 16 times) on red, 640 x 320. Standard library only (zlib for the PNG's deflate stream).
import struct
import sys
import zlib

FONT = {
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "O": ["01110", "10001", "10001", "10001", "10001", "10001", "01110"],
    "P": ["11110", "10001", "10001", "11110", "10000", "10000", "10000"],
}
W, H, SCALE = 640, 320, 16
RED, WHITE = (220, 30, 30), (255, 255, 255)
pixels = [[RED] * W for _ in range(H)]
x0, y0 = (W - (4 * 6 - 1) * SCALE) // 2, (H - 7 * SCALE) // 2
for i, ch in enumerate("STOP"):
    for row, bits in enumerate(FONT[ch]):
        for col, bit in enumerate(bits):
            if bit == "1":
                for dy in range(SCALE):
                    for dx in range(SCALE):
                        pixels[y0 + row * SCALE + dy][x0 + (i * 6 + col) * SCALE + dx] = WHITE
raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in pixels)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
