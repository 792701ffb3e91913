#!/usr/bin/python3
"""Writes the Pillow reference fixtures for the dev.titok.image tests.

Run with Debian's Pillow (apt-get install python3-pil python3-numpy):

    /usr/bin/python3 make_reference.py [IMAGES_DIR] [OUT_DIR]

IMAGES_DIR holds the two shared ImageNet photographs (default ../shared/images seen from the repository root),
OUT_DIR defaults to the folder of this script. Every expected output is produced by Pillow (and, for the
crop rules, by a line-for-line copy of torchvision's formulas): never by the Java code under test.

Files written:
  resize_cases.txt   one case per line: name source crop_x crop_y crop_w crop_h op arg expected.png
                     source is a photo file name (read from IMAGES_DIR by the test) or a PNG in this folder;
                     op is `short` (Resize(arg)), `size` (resize to exactly WxH given as arg "WxH"),
                     `center` (CenterCrop(arg)), `eval` (Resize(arg) -> CenterCrop(arg)) or `adm` (ADM's
                     center_crop_arr, used by the pretokenization script);
  decode_cases.txt   one case per line: input expected.png max_abs_diff
  resize_*.png, synthetic_*.png, decode_* files and their decode_*.expected.png
"""
import io
import os
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image

PHOTO_A = "ILSVRC2012_val_00008636.png"
PHOTO_B = "ILSVRC2012_val_00010240.png"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    images = sys.argv[1] if len(sys.argv) > 1 else "../shared/images"
    out = sys.argv[2] if len(sys.argv) > 2 else here
    print("Pillow", PIL.__version__)
    write_resize_cases(images, out)
    write_decode_cases(images, out)


# ---------------------------------------------------------------------------------------------------------------
# Resize / crop references


def torchvision_resized_size(w, h, size):
    """torchvision.transforms.functional._compute_resized_output_size for an int size (max_size None)."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if w <= h else (new_long, new_short)


def torchvision_resize(img, size):
    new_w, new_h = torchvision_resized_size(img.width, img.height, size)
    if (new_w, new_h) == img.size:
        return img
    return img.resize((new_w, new_h), Image.BICUBIC)


def torchvision_center_crop(img, size):
    """torchvision.transforms.functional.center_crop for a PIL image (zero padding when too small)."""
    w, h = img.size
    if size > w or size > h:
        left = (size - w) // 2 if size > w else 0
        top = (size - h) // 2 if size > h else 0
        right = (size - w + 1) // 2 if size > w else 0
        bottom = (size - h + 1) // 2 if size > h else 0
        padded = Image.new("RGB", (w + left + right, h + top + bottom), (0, 0, 0))
        padded.paste(img, (left, top))
        img = padded
        w, h = img.size
        if (w, h) == (size, size):
            return img
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def adm_center_crop(img, size):
    """center_crop_arr of ADM (guided-diffusion), which the official pretokenization script uses."""
    while min(*img.size) >= 2 * size:
        img = img.resize(tuple(x // 2 for x in img.size), resample=Image.BOX)
    scale = size / min(*img.size)
    img = img.resize(tuple(round(x * scale) for x in img.size), resample=Image.BICUBIC)
    arr = np.array(img)
    crop_y = (arr.shape[0] - size) // 2
    crop_x = (arr.shape[1] - size) // 2
    return Image.fromarray(arr[crop_y : crop_y + size, crop_x : crop_x + size])


def synthetic(w, h, seed):
    """A smooth colour gradient plus noise: exercises every coefficient position and the clipping to 0..255."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([255 * x / (w - 1), 255 * y / (h - 1), 255 * (1 - x / (w - 1)) * (y / (h - 1))], axis=-1)
    noise = rng.normal(0, 40, size=(h, w, 3))
    sharp = np.zeros((h, w, 3))
    sharp[:, w // 3 : w // 3 + 2] = 255  # a hard white bar: overshoot of the bicubic kernel must clip
    return Image.fromarray(np.clip(base + noise + sharp, 0, 255).astype(np.uint8), "RGB")


def write_resize_cases(images, out):
    photo_a = Image.open(os.path.join(images, PHOTO_A)).convert("RGB")
    photo_b = Image.open(os.path.join(images, PHOTO_B)).convert("RGB")
    sources = {PHOTO_A: photo_a, PHOTO_B: photo_b}
    for w, h, seed in ((45, 70, 1), (7, 11, 2)):
        name = f"synthetic_{w}x{h}.png"
        sources[name] = synthetic(w, h, seed)
        sources[name].save(os.path.join(out, name))

    cases = [
        # name, source, crop box (x, y, w, h), op, arg
        ("a97x61_short32", PHOTO_A, (20, 40, 97, 61), "short", "32"),
        ("a97x61_short64", PHOTO_A, (20, 40, 97, 61), "short", "64"),
        ("a97x61_short100", PHOTO_A, (20, 40, 97, 61), "short", "100"),
        ("b75x107_short32", PHOTO_B, (53, 17, 75, 107), "short", "32"),
        ("b75x107_short74", PHOTO_B, (53, 17, 75, 107), "short", "74"),
        ("a256_short37", PHOTO_A, (0, 0, 256, 256), "short", "37"),
        ("s7x11_short256", "synthetic_7x11.png", (0, 0, 7, 11), "short", "256"),
        ("s45x70_short32", "synthetic_45x70.png", (0, 0, 45, 70), "short", "32"),
        ("s45x70_short64", "synthetic_45x70.png", (0, 0, 45, 70), "short", "64"),
        ("a97x61_size13x120", PHOTO_A, (20, 40, 97, 61), "size", "13x120"),
        ("b75x107_size75x31", PHOTO_B, (53, 17, 75, 107), "size", "75x31"),
        ("a97x61_center32", PHOTO_A, (20, 40, 97, 61), "center", "32"),
        ("b75x107_center74", PHOTO_B, (53, 17, 75, 107), "center", "74"),
        ("s45x70_center64", "synthetic_45x70.png", (0, 0, 45, 70), "center", "64"),
        ("s45x70_center80", "synthetic_45x70.png", (0, 0, 45, 70), "center", "80"),
        ("a97x61_eval64", PHOTO_A, (20, 40, 97, 61), "eval", "64"),
        ("b75x107_eval33", PHOTO_B, (53, 17, 75, 107), "eval", "33"),
        ("a256_adm64", PHOTO_A, (0, 0, 256, 256), "adm", "64"),
        ("a97x61_adm20", PHOTO_A, (20, 40, 97, 61), "adm", "20"),
        ("b75x107_adm32", PHOTO_B, (53, 17, 75, 107), "adm", "32"),
        ("s45x70_adm40", "synthetic_45x70.png", (0, 0, 45, 70), "adm", "40"),
    ]
    lines = []
    for name, source, (x, y, w, h), op, arg in cases:
        img = sources[source].crop((x, y, x + w, y + h))
        if op == "short":
            result = torchvision_resize(img, int(arg))
        elif op == "size":
            tw, th = (int(v) for v in arg.split("x"))
            result = img.resize((tw, th), Image.BICUBIC)
        elif op == "center":
            result = torchvision_center_crop(img, int(arg))
        elif op == "eval":
            result = torchvision_center_crop(torchvision_resize(img, int(arg)), int(arg))
        elif op == "adm":
            result = adm_center_crop(img, int(arg))
        else:
            raise ValueError(op)
        expected = "resize_" + name + ".png"
        result.save(os.path.join(out, expected), optimize=True)
        lines.append(f"{name} {source} {x} {y} {w} {h} {op} {arg} {expected}")
    with open(os.path.join(out, "resize_cases.txt"), "w") as f:
        f.write(f"# name source crop_x crop_y crop_w crop_h op arg expected (make_reference.py, Pillow {PIL.__version__})\n")
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------------------------
# Decoder fixtures


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def raw_png(width, height, bit_depth, color_type, rows, extra=b""):
    """A PNG written by hand, for the layouts Pillow cannot save (48/64-bit colour, 2/4-bit grey, 16-bit grey+alpha)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def pack_bits(values, bits):
    """Packs one row of small samples MSB first, as PNG stores sub-byte samples."""
    out, acc, n = bytearray(), 0, 0
    for v in values:
        acc = (acc << bits) | int(v)
        n += bits
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


def bmp16(width, height, pixels, bitfields):
    """A bottom-up 16-bit BMP: 5-5-5 BI_RGB, or 5-6-5 BI_BITFIELDS when bitfields is true (Pillow cannot save these)."""
    row_bytes = (width * 2 + 3) // 4 * 4
    rows = []
    for y in range(height - 1, -1, -1):
        row = b"".join(struct.pack("<H", int(pixels[y][x])) for x in range(width))
        rows.append(row + b"\x00" * (row_bytes - len(row)))
    masks = struct.pack("<III", 0xF800, 0x07E0, 0x001F) if bitfields else b""
    header_size = 40
    offset = 14 + header_size + len(masks)
    data = b"".join(rows)
    info = struct.pack("<IiiHHIIiiII", header_size, width, height, 1, 16, 3 if bitfields else 0, len(data),
                       2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + masks + data


def jpeg_adobe_transform(data, transform):
    """Rewrites the colour transform byte of the Adobe APP14 marker (0 = CMYK/RGB, 1 = YCbCr, 2 = YCCK)."""
    i = data.index(b"Adobe")  # APP14 payload: "Adobe", version (2 bytes), flags0 (2), flags1 (2), transform (1)
    patched = bytearray(data)
    patched[i + 11] = transform
    return bytes(patched)


def ycck_from_inverted_cmyk(cmyk):
    """Encodes stored (Adobe-inverted) CMYK samples as YCCK so that libjpeg's YCCK->CMYK step returns them."""
    c = cmyk.astype(np.float64)
    r, g, b = 255 - c[..., 0], 255 - c[..., 1], 255 - c[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    ycck = np.stack([y, cb, cr, c[..., 3]], axis=-1)
    return np.clip(np.round(ycck), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------------
# Small ICC profiles, built here so that no third-party profile is needed. Pillow ignores embedded profiles, while a
# colour-managed reader applies them (TwelveMonkeys' read() does for RGB and CMYK): these shift colours by tens of levels.

D50 = (0.9642, 1.0, 0.8249)
SRGB_PRIMARIES_D50 = ((0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141))


def s15f16(v):
    return struct.pack(">i", int(round(v * 65536)))


def icc_xyz(x, y, z):
    return b"XYZ " + bytes(4) + s15f16(x) + s15f16(y) + s15f16(z)


def icc_desc(text):
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(8 + 3 + 67)


def icc_text(text):
    return b"text" + bytes(4) + text.encode("ascii") + b"\0"


def icc_gamma(gamma):
    return b"curv" + bytes(4) + struct.pack(">IH", 1, int(round(gamma * 256)))


def icc_lut8(in_channels, out_channels, clut):
    """mft1 with identity matrix and curves and a 2-point grid (first input varies slowest)."""
    identity_matrix = b"".join(s15f16(1.0 if i == j else 0.0) for i in range(3) for j in range(3))
    curves = bytes(range(256))
    return (b"mft1" + bytes(4) + bytes([in_channels, out_channels, 2, 0]) + identity_matrix
            + curves * in_channels + clut + curves * out_channels)


def icc_profile(device_class, colour_space, pcs, tags):
    """An ICC v2.1 profile: 128-byte header, tag table, tag data (4-byte aligned; identical data shared)."""
    offset = 128 + 4 + 12 * len(tags)
    table, data, placed = b"", b"", {}
    for signature, tag in tags:
        if tag not in placed:
            pad = (-offset) % 4
            data += bytes(pad)
            placed[tag] = offset + pad
            data += tag
            offset += pad + len(tag)
        table += struct.pack(">4sII", signature, placed[tag], len(tag))
    size = offset + (-offset) % 4
    header = (struct.pack(">I4sI", size, bytes(4), 0x02100000) + device_class + colour_space + pcs
              + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + bytes(28)
              + s15f16(D50[0]) + s15f16(D50[1]) + s15f16(D50[2]) + bytes(48))
    profile = header + struct.pack(">I", len(tags)) + table + data
    return profile + bytes(size - len(profile))


def common_tags(description):
    return [(b"desc", icc_desc(description)), (b"cprt", icc_text("No copyright, use freely")),
            (b"wtpt", icc_xyz(*D50))]


def linear_rgb_profile():
    """sRGB primaries with a linear tone curve: a reader that applies it brightens mid-tones a lot."""
    curve = icc_gamma(1.0)
    return icc_profile(b"mntr", b"RGB ", b"XYZ ", common_tags("Linear RGB (TiTok test)") + [
        (b"rXYZ", icc_xyz(*SRGB_PRIMARIES_D50[0])), (b"gXYZ", icc_xyz(*SRGB_PRIMARIES_D50[1])),
        (b"bXYZ", icc_xyz(*SRGB_PRIMARIES_D50[2])), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)])


def linear_grey_profile():
    return icc_profile(b"mntr", b"GRAY", b"XYZ ", common_tags("Linear grey (TiTok test)") + [
        (b"kTRC", icc_gamma(1.0))])


def lab_of_linear_rgb(rgb):
    xyz = [sum(c * primary[i] for c, primary in zip(rgb, SRGB_PRIMARIES_D50)) for i in range(3)]
    f = [t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in (v / w for v, w in zip(xyz, D50))]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def cmyk_profile():
    """A printer profile of ideal inks (CMYK -> Lab on a 2-point grid), with a crude Lab -> CMYK inverse."""
    to_lab = b""
    for c, m, y, k in np.ndindex(2, 2, 2, 2):
        lab = lab_of_linear_rgb(((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)))
        to_lab += bytes([round(lab[0] * 255 / 100), round(lab[1]) + 128, round(lab[2]) + 128])
    to_cmyk = b"".join(bytes([255 * (1 - lightness)] * 3 + [0]) for lightness, _, _ in np.ndindex(2, 2, 2))
    return icc_profile(b"prtr", b"CMYK", b"Lab ", common_tags("Ideal inks CMYK (TiTok test)") + [
        (b"A2B0", icc_lut8(4, 3, to_lab)), (b"B2A0", icc_lut8(3, 4, to_cmyk))])


def jpeg_segments(data):
    """(marker, start, end) of each segment before the first scan."""
    i, segments = 2, []
    while data[i + 1] != 0xDA:
        end = i + 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
        segments.append((data[i + 1], i, end))
        i = end
    return segments


def jpeg_without_jfif(data):
    for marker, start, end in jpeg_segments(data):
        if marker == 0xE0 and data[start + 4 : start + 9] == b"JFIF\0":
            return data[:start] + data[end:]
    raise ValueError("no JFIF marker")


def jpeg_with_adobe(data, transform):
    """Inserts an Adobe APP14 marker (version 100, no flags) with the given colour transform after SOI."""
    payload = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, transform)
    return data[:2] + b"\xff\xee" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def jpeg_with_component_ids(data, ids):
    """Renames the components in the frame header and in the (single) scan header."""
    patched = bytearray(data)
    for marker, start, _ in jpeg_segments(data):
        if marker == 0xC0:
            for c, component_id in enumerate(ids):
                patched[start + 10 + 3 * c] = component_id
    scan = jpeg_segments(data)[-1][2]
    for c, component_id in enumerate(ids):
        patched[scan + 5 + 2 * c] = component_id
    return bytes(patched)


def write_decode_cases(images, out):
    rng = np.random.default_rng(7)
    photo = np.asarray(Image.open(os.path.join(images, PHOTO_B)).convert("RGB"))[100:116, 60:84]  # 24x16
    h, w = photo.shape[:2]
    alpha = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
    alpha[0, :] = 0  # fully transparent pixels keep their colour under convert('RGB')
    grey = np.asarray(Image.fromarray(photo).convert("L"))
    cases = []

    def save_pil(name, img, **kw):
        img.save(os.path.join(out, name), **kw)
        cases.append(name)

    def save_bytes(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        cases.append(name)

    # PNG, everything Pillow opens: 8-bit layouts saved by Pillow itself
    save_pil("decode_rgb8.png", Image.fromarray(photo, "RGB"))
    save_pil("decode_rgba8.png", Image.fromarray(np.dstack([photo, alpha]), "RGBA"))
    save_pil("decode_grey8.png", Image.fromarray(grey, "L"))
    save_pil("decode_greyalpha8.png", Image.fromarray(np.dstack([grey, alpha]), "LA"))
    palette_img = Image.fromarray(photo, "RGB").quantize(colors=16)
    save_pil("decode_palette_trns.png", palette_img, transparency=bytes(rng.integers(0, 256, 16, dtype=np.uint8)))
    save_pil("decode_palette4bit.png", palette_img, bits=4)
    save_pil("decode_grey1bit.png", Image.fromarray(grey, "L").convert("1"))
    save_pil("decode_rgb_trns.png", Image.fromarray(photo, "RGB"), transparency=tuple(int(v) for v in photo[0, 0]))
    # PNG, hand-written layouts: 16-bit colour (Pillow keeps the high byte), 16-bit grey (Pillow clips to 255),
    # sub-byte grey (Pillow scales to 0..255)
    low = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint16)
    rgba16 = np.dstack([photo, alpha]).astype(np.uint16) * 256 + low
    save_bytes("decode_rgb16.png", raw_png(w, h, 16, 2, [rgba16[y, :, :3].astype(">u2").tobytes() for y in range(h)]))
    save_bytes("decode_rgba16.png", raw_png(w, h, 16, 6, [rgba16[y].astype(">u2").tobytes() for y in range(h)]))
    ga16 = rgba16[..., [0, 3]]
    save_bytes("decode_greyalpha16.png", raw_png(w, h, 16, 4, [ga16[y].astype(">u2").tobytes() for y in range(h)]))
    grey16 = (np.arange(h * w, dtype=np.uint32).reshape(h, w) * 3).astype(np.uint16)  # 0..1149: half clips
    grey16[-1, -4:] = [65535, 256, 255, 32768]
    save_bytes("decode_grey16.png", raw_png(w, h, 16, 0, [grey16[y].astype(">u2").tobytes() for y in range(h)]))
    trns16 = png_chunk(b"tRNS", struct.pack(">H", int(grey16[0, 5])))
    save_bytes("decode_grey16_trns.png",
               raw_png(w, h, 16, 0, [grey16[y].astype(">u2").tobytes() for y in range(h)], extra=trns16))
    save_bytes("decode_grey2bit.png", raw_png(w, h, 2, 0, [pack_bits(grey[y] >> 6, 2) for y in range(h)]))
    save_bytes("decode_grey4bit.png", raw_png(w, h, 4, 0, [pack_bits(grey[y] >> 4, 4) for y in range(h)]))

    # JPEG: baseline 4:2:0, progressive, grey, CMYK (Adobe, inverted as Photoshop and Pillow write it), YCCK
    rgb_img = Image.fromarray(photo, "RGB")
    save_pil("decode_baseline.jpg", rgb_img, quality=90)
    save_pil("decode_progressive.jpg", rgb_img, quality=90, progressive=True)
    save_pil("decode_grey.jpg", Image.fromarray(grey, "L"), quality=90)
    cmyk_img = rgb_img.convert("CMYK")
    cmyk = np.asarray(cmyk_img).copy()
    cmyk[..., 3] = rng.integers(0, 120, size=(h, w), dtype=np.uint8)  # some black ink, so K matters
    save_pil("decode_cmyk.jpg", Image.fromarray(cmyk, "CMYK"), quality=95)
    # Pillow stores 255 - v for CMYK; hand it 255 - YCCK so that the file holds YCCK, then mark it as YCCK
    ycck = ycck_from_inverted_cmyk(255 - cmyk)
    buf = io.BytesIO()
    Image.fromarray(255 - ycck, "CMYK").save(buf, "JPEG", quality=95)
    save_bytes("decode_ycck.jpg", jpeg_adobe_transform(buf.getvalue(), 2))
    # JPEG with embedded ICC profiles, which Pillow ignores: RGB, grey, CMYK and YCCK
    save_pil("decode_rgb_icc.jpg", rgb_img, quality=90, icc_profile=linear_rgb_profile())
    save_pil("decode_grey_icc.jpg", Image.fromarray(grey, "L"), quality=90, icc_profile=linear_grey_profile())
    save_pil("decode_cmyk_icc.jpg", Image.fromarray(cmyk, "CMYK"), quality=95, icc_profile=cmyk_profile())
    buf = io.BytesIO()
    Image.fromarray(255 - ycck, "CMYK").save(buf, "JPEG", quality=95, icc_profile=cmyk_profile())
    save_bytes("decode_ycck_icc.jpg", jpeg_adobe_transform(buf.getvalue(), 2))
    # JPEG colour space guessed from the markers as libjpeg does: Adobe transform 0 without JFIF means RGB samples,
    # with JFIF the JFIF marker wins (YCbCr); without either marker the component ids 'R', 'G', 'B' mean RGB
    with open(os.path.join(out, "decode_baseline.jpg"), "rb") as f:
        baseline = f.read()
    save_bytes("decode_adobe_rgb.jpg", jpeg_with_adobe(jpeg_without_jfif(baseline), 0))
    save_bytes("decode_jfif_adobe_rgb.jpg", jpeg_with_adobe(baseline, 0))
    save_bytes("decode_rgb_ids.jpg", jpeg_with_component_ids(jpeg_without_jfif(baseline), b"RGB"))

    # BMP: 24-bit and 8-bit palette by Pillow, 16-bit 5-5-5 and 5-6-5 by hand (Pillow scales v*255/31 truncating)
    save_pil("decode_rgb24.bmp", rgb_img)
    save_pil("decode_palette8.bmp", palette_img)
    px555 = ((photo[..., 0].astype(np.uint16) >> 3) << 10) | ((photo[..., 1] >> 3) << 5) | (photo[..., 2] >> 3)
    px565 = ((photo[..., 0].astype(np.uint16) >> 3) << 11) | ((photo[..., 1] >> 2) << 5) | (photo[..., 2] >> 3)
    save_bytes("decode_rgb555.bmp", bmp16(w, h, px555, bitfields=False))
    save_bytes("decode_rgb565.bmp", bmp16(w, h, px565, bitfields=True))

    # GIF: first frame of a two-frame animation
    second = Image.fromarray(255 - photo, "RGB").quantize(colors=16)
    palette_img.save(os.path.join(out, "decode_anim.gif"), save_all=True, append_images=[second], duration=100)
    cases.append("decode_anim.gif")

    lines = []
    for name in cases:
        with Image.open(os.path.join(out, name)) as im:
            converted = im.convert("RGB")
            # a fresh image: convert() carries info["transparency"] over, which the PNG writer then rejects
            expected_img = Image.frombytes("RGB", converted.size, converted.tobytes())
            print(f"{name:28s} mode={im.mode:6s} -> RGB")
        expected = name.rsplit(".", 1)[0] + ".expected.png"
        expected_img.save(os.path.join(out, expected))
        lines.append(f"{name} {expected} 0")
    with open(os.path.join(out, "decode_cases.txt"), "w") as f:
        f.write(f"# input expected max_abs_diff (make_reference.py, Pillow {PIL.__version__}; JPEG exact where the JDK"
                " links libjpeg-turbo like Pillow)\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
