#!/usr/bin/env python3
"""Writes the committed seed corpus under fuzz/corpus/ (standard library only).

Run from the repository root: python3 fuzz/make_seeds.py. Files are named by content, so running
it again only adds what changed. The JPEG and WebP mask seeds were made once with imgedit itself
(see fuzz/README.md) and are not regenerated here.
"""

import base64
import hashlib
import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, data, label):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = f"{label}-{hashlib.sha1(data).hexdigest()[:10]}"
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def chunk(kind, body):
    c = kind + body
    return struct.pack(">I", len(body)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)


def png(w, h, color_type, depth, rows, extra=b""):
    """rows: list of raw scanline bytes (without the filter byte)."""
    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + extra
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def inside(x, y):
    return 2 <= x < 6 and 2 <= y < 6


def masks():
    n = 8
    gray = png(n, n, 0, 8, [bytes(255 if inside(x, y) else 0 for x in range(n)) for y in range(n)])
    gray16 = png(
        n, n, 0, 16,
        [b"".join(struct.pack(">H", 65535 if inside(x, y) else 0) for x in range(n)) for y in range(n)],
    )
    gray1 = png(n, n, 0, 1, [bytes([0b00111100 if 2 <= y < 6 else 0]) for y in range(n)])
    rgb = png(n, n, 2, 8, [b"".join(bytes([255, 255, 255] if inside(x, y) else [0, 0, 0]) for x in range(n)) for y in range(n)])
    # transparent = selected, whatever the colour
    rgba = png(n, n, 6, 8, [b"".join(bytes([0, 0, 0, 0] if inside(x, y) else [255, 255, 255, 255]) for x in range(n)) for y in range(n)])
    # opaque alpha: falls back to luminance
    rgba_opaque = png(n, n, 6, 8, [b"".join(bytes([255, 255, 255, 255] if inside(x, y) else [0, 0, 0, 255]) for x in range(n)) for y in range(n)])
    rgba16 = png(
        4, 4, 6, 16,
        [b"".join(struct.pack(">HHHH", 0, 0, 0, 0 if x < 2 else 65535) for x in range(4)) for y in range(4)],
    )
    graya = png(n, n, 4, 8, [b"".join(bytes([0, 0] if inside(x, y) else [255, 255]) for x in range(n)) for y in range(n)])
    palette = png(
        n, n, 3, 8,
        [bytes(1 if inside(x, y) else 0 for x in range(n)) for y in range(n)],
        chunk(b"PLTE", bytes([0, 0, 0, 255, 255, 255])) + chunk(b"tRNS", bytes([255, 0])),
    )
    # a 1x1 GIF
    gif = bytes.fromhex(
        "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
    )
    hdr = lambda w, h, fit: bytes([w, h, fit])
    for label, data in [
        ("gray8", gray), ("gray16", gray16), ("gray1", gray1), ("rgb", rgb), ("rgba", rgba),
        ("rgba-opaque", rgba_opaque), ("rgba16", rgba16), ("graya", graya), ("palette-trns", palette),
        ("gif", gif),
    ]:
        put("mask_file", hdr(0, 0, 0) + data, label)
    put("mask_file", hdr(15, 11, 1) + gray16, "gray16-fit")
    put("mask_file", hdr(3, 3, 1) + rgba, "rgba-fit")
    put("mask_file", hdr(3, 3, 0) + gray, "gray8-wrong-size")
    sample = os.path.join(os.path.dirname(ROOT), "..", "assets", "sample-mask.png")
    with open(sample, "rb") as f:
        put("mask_file", hdr(0, 0, 0) + f.read(), "sample-mask")
    return gray, rgba


def shapes():
    s = lambda op, w, h, text: bytes([op, w, h]) + text.encode()
    wh = lambda w, h: struct.pack("<II", w, h)
    for label, data in [
        ("rect", s(0, 9, 9, "2,3,4,5")),
        ("rect-clipped", s(0, 9, 9, "-2,-2,4,4")),
        ("rect-outside", s(0, 9, 7, "20,20,5,5")),
        ("polygon-square", s(1, 9, 9, "2,3 6,3 6,8 2,8")),
        ("polygon-u", s(1, 9, 9, "0,0 4,0 4,6 6,6 6,0 10,0 10,10 0,10")),
        ("polygon-bowtie", s(1, 9, 9, "0,0 10,10 10,0 0,10")),
        ("polygon-star", s(1, 63, 63, "32,8 46.1,51.4 9.2,24.6 54.8,24.6 17.9,51.4")),
        ("polygon-fractional", s(1, 20, 20, "0.5,0.5 12.25,3.75 7,15.5")),
        ("ellipse", s(2, 63, 63, "32,32,20,10")),
        ("ellipse-small", s(2, 9, 9, "4.5,4.5,0.6,0.6")),
        ("tui-rect", s(3, 9, 9, "rect:1,1,3,3")),
        ("tui-polygon", s(3, 9, 9, "polygon:0,0 4,0 4,4")),
        ("tui-ellipse", s(3, 9, 9, "ellipse:4,4,2,2")),
        ("extend", bytes([4, 0, 0]) + wh(400, 200) + b"10,20%,0,5"),
        ("extend-one", bytes([4, 0, 0]) + wh(640, 427) + b"25%"),
        ("extend-max", bytes([4, 0, 0]) + wh(65535, 65535) + b"1000%,65535,1000%,65535"),
        ("canvas", bytes([5, 3, 0]) + wh(640, 427) + b"1024x768"),
        ("canvas-small", bytes([5, 0, 0]) + wh(400, 100) + b"200X200"),
    ]:
        put("shapes", data, label)


def b64(b):
    return base64.b64encode(b).decode()


def edit_requests(jpeg, mask_png):
    base = f"data:image/jpeg;base64,{b64(jpeg)}"
    mask = f"data:image/png;base64,{b64(mask_png)}"
    bodies = {
        "browser-inpaint": {"prompt": {"text": "a stone", "mode": "INPAINTING"}, "base_image": base,
                            "mask": mask, "model": "titan", "canvas_config": {}},
        "browser-outpaint": {"prompt": {"text": "more sky", "mode": "OUTPAINTING"}, "base_image": base,
                             "mask": None, "model": "titan", "canvas_config": {}},
        "precise-extend": {"prompt": {"text": "more sky", "mode": "precise-outpaint"}, "base_image": base,
                           "mask": None, "model": "titan", "canvas_config": {"extend": [0, 0, 32, 16]},
                           "num_images": 1},
        "canvas-size": {"prompt": {"text": "x", "mode": "OUTPAINTING"}, "base_image": base,
                        "canvas_config": {"width": 100, "height": 48, "anchor": "top_right"}},
        "extend-object": {"prompt": {"text": "x", "mode": "outpaint"}, "base_image": "AAAA",
                          "canvas_config": {"extend": {"left": 8, "bottom": 4}}},
        "all-fields": {"prompt": {"text": "a lake", "mode": "INPAINTING", "negative_text": "people"},
                       "base_image": "AAAA", "mask": "BBBB", "model": "amazon.nova-canvas-v1:0",
                       "num_images": 3, "seed": 42, "cfg_scale": 7.5, "quality": "standard"},
        "bad-mode": {"prompt": {"text": "x", "mode": "PAINTING"}, "base_image": "A", "mask": "B"},
        "unknown-field": {"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "colour": 1},
    }
    for label, v in bodies.items():
        put("image_edit_request", json.dumps(v), label)
    put("image_edit_request", "", "empty")
    put("image_edit_request", "[1]", "array")


def flat_png(w, h, rgb=(120, 130, 140)):
    row = bytes(rgb) * w
    return png(w, h, 2, 8, [row] * h)


def titan_mask(w, h):
    # Titan: black = change
    return png(w, h, 0, 8, [bytes(0 if w // 4 <= x < w // 2 and h // 4 <= y < h // 2 else 255 for x in range(w)) for y in range(h)])


def bedrock_requests():
    # the non-local models in model::MODELS order
    titan2, titan1, nova, inpaint, outpaint, erase, replace = range(7)
    img64, mask64 = b64(flat_png(64, 64)), b64(titan_mask(64, 64))
    img320, mask320 = b64(flat_png(320, 320)), b64(titan_mask(320, 320))
    alpha64 = b64(png(64, 64, 6, 8, [b"".join(bytes([9, 9, 9, 0 if x < 16 else 255]) for x in range(64))] * 64))
    cfg = {"numberOfImages": 2, "seed": 7, "cfgScale": 8.0, "quality": "premium"}
    bodies = [
        ("titan-inpaint", titan2, {"taskType": "INPAINTING", "inPaintingParams": {
            "image": img64, "text": "a stone", "maskImage": mask64}, "imageGenerationConfig": cfg}),
        ("titan-v1-inpaint-negative", titan1, {"taskType": "INPAINTING", "inPaintingParams": {
            "image": img64, "text": "a stone", "negativeText": "blur", "maskImage": mask64,
            "returnMask": False}, "imageGenerationConfig": {"numberOfImages": 1}}),
        ("titan-outpaint-precise", titan2, {"taskType": "OUTPAINTING", "outPaintingParams": {
            "image": img64, "text": "sky", "maskImage": mask64, "outPaintingMode": "PRECISE"},
            "imageGenerationConfig": {"numberOfImages": 1, "seed": 1, "quality": "standard"}}),
        ("titan-outpaint-maskprompt", titan2, {"taskType": "OUTPAINTING", "outPaintingParams": {
            "image": img64, "text": "sky", "maskPrompt": "the dog", "outPaintingMode": "DEFAULT"}}),
        ("nova-maskprompt", nova, {"taskType": "INPAINTING", "inPaintingParams": {
            "image": img320, "text": "a hat", "maskPrompt": "the head"},
            "imageGenerationConfig": {"numberOfImages": 1, "cfgScale": 6.5, "seed": 3}}),
        ("nova-mask", nova, {"taskType": "INPAINTING", "inPaintingParams": {
            "image": img320, "maskImage": mask320}}),
        ("stability-inpaint", inpaint, {"image": img64, "mask": mask64, "prompt": "a stone",
                                        "negative_prompt": "blur", "grow_mask": 5, "seed": 7,
                                        "output_format": "png", "style_preset": "photographic"}),
        ("stability-inpaint-alpha", inpaint, {"image": alpha64, "prompt": "x", "output_format": "webp"}),
        ("stability-outpaint", outpaint, {"image": img64, "left": 16, "right": 0, "up": 8, "down": 0,
                                          "prompt": "sky", "creativity": 0.5, "seed": 1,
                                          "output_format": "jpeg"}),
        ("stability-erase", erase, {"image": img64, "mask": mask64, "seed": 2}),
        ("stability-search-replace", replace, {"image": img64, "prompt": "a cat",
                                               "search_prompt": "the dog", "seed": 4}),
        ("titan-bad-task", titan2, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}}),
    ]
    for label, model, body in bodies:
        put("bedrock_request", bytes([model]) + json.dumps(body).encode(), label)
    put("bedrock_request", bytes([0]) + b"{nope", "not-json")


def configs():
    template_path = os.path.join(os.path.dirname(ROOT), "..", "src", "config.rs")
    with open(template_path) as f:
        src = f.read()
    start = src.index('pub const TEMPLATE: &str = r#"') + len('pub const TEMPLATE: &str = r#"')
    template = src[start:src.index('"#;', start)]
    full = (
        'engine = "bedrock"\nmodel = "us.amazon.nova-canvas-v1:0"\nregion = "eu-west-1"\n'
        'profile = "work"\napi_url = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"\n\n'
        '[cognito]\nuser_pool_id = "us-east-1_AbCdEfGhI"\nclient_id = "1234567890abcdefghijklmnop"\n'
        'client_secret = "s3cret"\nregion = "us-east-1"\n\n'
        '[limits]\nmax_pixels = 1000000\nmax_alloc_bytes = 268435456\n'
    )
    env = (
        "IMGEDIT_ENGINE=api\nIMGEDIT_MODEL=titan\nIMGEDIT_REGION=us-west-2\nIMGEDIT_PROFILE=\n"
        "IMGEDIT_API_URL=http://localhost:8080\nIMGEDIT_COGNITO_USER_POOL_ID=eu-west-1_x\n"
        "IMGEDIT_COGNITO_CLIENT_ID=abc\nIMGEDIT_COGNITO_CLIENT_SECRET=def\nIMGEDIT_COGNITO_REGION=eu-west-1\n"
    )
    for label, data in [
        ("template", template),
        ("full", full),
        ("full-env", full + "\0" + env),
        ("empty-env", "\0IMGEDIT_ENGINE=local\n"),
        ("bad-engine-env", 'engine = "local"\n\0IMGEDIT_ENGINE=gpu\n'),
        ("inline-tables", 'cognito = { region = "ap-south-1" }\nlimits = { max_pixels = 5 }\n'),
        ("escapes", 'model = "a\\"b\\\\c\\u00e9\\t"\nprofile = \'\'\'multi\nline\'\'\'\n'),
        ("unknown-key", 'engin = "local"\n'),
    ]:
        put("config", data, label)


def data_urls(gray, rgba):
    for label, data in [
        ("png", "data:image/png;base64," + b64(gray)),
        ("bare", b64(rgba)),
        ("no-padding", b64(b"hello").rstrip("=")),
        ("wrapped", "data:image/png;base64," + "\n".join(b64(gray)[i:i + 76] for i in range(0, len(b64(gray)), 76))),
        ("not-base64", "data:text/plain,hi"),
        ("bad-char", "data:image/png;base64,@@@"),
        ("empty-payload", "data:;base64,"),
    ]:
        put("data_url", data, label)


if __name__ == "__main__":
    gray, rgba = masks()
    shapes()
    edit_requests(bytes.fromhex("ffd8ffd9"), gray)
    bedrock_requests()
    configs()
    data_urls(gray, rgba)
