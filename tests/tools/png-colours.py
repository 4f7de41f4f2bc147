#!/usr/bin/env python3
"""Prints "WIDTH HEIGHT COLOURS INK" for a PNG file: its size, the number of
distinct colours and the share of pixels that are not white (0..1).

A browser's screenshot of a page that rendered shows text, lines and fills in
many colours (anti-aliasing adds more); a blank one has one or two. Reads
the 8-bit, non-interlaced RGB and RGBA files that Chromium writes, with the
standard library alone (no imaging package is needed for the tests).

    tests/tools/png-colours.py FILE.png
"""
import struct
import sys
import zlib


def chunks(data):
    at = 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        yield kind, data[at + 8:at + 8 + length]
        at += 12 + length


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def unfilter(kind, line, prior, bpp):
    out = bytearray(line)
    if kind == 0:
        return out
    if kind == 2:
        return bytearray((x + y) & 255 for x, y in zip(line, prior))
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + left) & 255
        elif kind == 3:
            out[i] = (out[i] + ((left + prior[i]) >> 1)) & 255
        else:
            up_left = prior[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + paeth(left, prior[i], up_left)) & 255
    return out


def main(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("%s: not a PNG file" % path)
    idat = b""
    for kind, body in chunks(data):
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit("%s: depth %d, colour type %d, interlace %d: not read here" %
                 (path, depth, colour, interlace))
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prior = bytearray(stride)
    colours, ink = set(), 0
    for y in range(height):
        at = y * (stride + 1)
        prior = unfilter(raw[at], raw[at + 1:at + 1 + stride], prior, bpp)
        pixels = [bytes(prior[i:i + 3]) for i in range(0, stride, bpp)]
        colours.update(pixels)
        ink += sum(p != b"\xff\xff\xff" for p in pixels)
    print(width, height, len(colours), "%.4f" % (ink / (width * height)))


if __name__ == "__main__":
    main(sys.argv[1])
