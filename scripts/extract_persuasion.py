# SPDX-License-Identifier: MIT
# Extracts datasets/data/persuasion_vol1.txt (Jane Austen, "Persuasion", Volume I: chapters 1-12)
# from Debian's r-cran-janeaustenr 1.0.0-1 package without R: the package's lazy-load database
# data/Rdata.rdb holds each novel as a zlib-compressed, XDR-serialised R character vector (one
# element per line). Usage: apt-get download r-cran-janeaustenr; dpkg-deb -x *.deb x;
# /usr/bin/python3 scripts/extract_persuasion.py x/usr/lib/R/site-library/janeaustenr OUT.txt
import struct
import sys
import zlib

# Offset and length of "persuasion" in Rdata.rdb, read from the index Rdata.rdx (gzip, XDR).
PERSUASION = (0xD6814, 0x2D32A)
LAST_LINE = 3841  # the line before "Chapter 13": Volume I ends with "(End of volume one.)"


def read_character_vector(buf):
    pos = 0

    def i32():
        nonlocal pos
        value = struct.unpack(">i", buf[pos : pos + 4])[0]
        pos += 4
        return value

    assert buf[:2] == b"X\n", "not an XDR serialisation"
    pos = 2
    version = i32()
    i32()  # writer's R version
    i32()  # minimal reader version
    if version == 3:
        encoding_length = i32()  # then the native encoding's name
        pos += encoding_length
    assert i32() & 0xFF == 16, "not a character vector (STRSXP)"
    lines = []
    for _ in range(i32()):
        assert i32() & 0xFF == 9, "not a CHARSXP"
        length = i32()
        lines.append("" if length < 0 else buf[pos : pos + length].decode("utf-8"))
        pos += max(length, 0)
    return lines


def main():
    package, out = sys.argv[1], sys.argv[2]
    rdb = open(package + "/data/Rdata.rdb", "rb").read()
    offset, length = PERSUASION
    blob = rdb[offset : offset + length]
    raw = zlib.decompress(blob[4:])
    assert len(raw) == struct.unpack(">I", blob[:4])[0]
    lines = read_character_vector(raw)[:LAST_LINE]
    while lines and not lines[-1].strip():
        lines.pop()
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
