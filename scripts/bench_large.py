"""Helper of scripts/bench-large: makes the camera-sized cases and runs the reference fills.

  bench_large.py make DIR PHOTO            writes DIR/12mp.jpg, DIR/48mp.jpg and the many-holes
                                           masks DIR/12mp-hole1.png (one 300x200 hole),
                                           DIR/12mp-holes2.png (two far-apart 300x200 holes) and
                                           DIR/12mp-holes40.png (40 holes of 30x30, 0.3%)
  bench_large.py telea IN.jpg X Y W H OUT.jpg
  bench_large.py patchmatch IN.jpg X Y W H OUT.jpg
  bench_large.py telea-mask IN.jpg MASK.png OUT.jpg

  bench_large.py patchmatch-files IN.png MASK.png OUT.png   (examples/quality.rs --patchmatch)

The fills print one line `stages decode=MS fill=MS encode=MS` (milliseconds) on stdout.
"""

import sys
import time

import cv2
import numpy as np


def make(out_dir, photo):
    img = cv2.imread(photo, cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f"{photo}: cannot read the photo")
    # 12 MP: the photo upscaled to 4000x3000 (cubic), plus a little noise so the JPEG has
    # camera-like detail instead of smooth upscaled blocks.
    rng = np.random.default_rng(17)
    big = cv2.resize(img, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    big = np.clip(big.astype(np.int16) + rng.integers(-6, 7, big.shape, dtype=np.int16), 0, 255)
    big = big.astype(np.uint8)
    cv2.imwrite(f"{out_dir}/12mp.jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    # 48 MP: the 12 MP picture tiled 2x2 (mirrored), so a hole in the top-left quarter has the
    # same pixels around it as in the 12 MP case.
    top = np.concatenate([big, big[:, ::-1]], axis=1)
    huge = np.concatenate([top, top[::-1]], axis=0)
    cv2.imwrite(f"{out_dir}/48mp.jpg", huge, [cv2.IMWRITE_JPEG_QUALITY, 92])
    # many holes on the 12 MP photo: one 300x200 hole (the baseline), two at opposite corners,
    # and 40 dust-spot-sized 30x30 holes on a jittered 8x5 grid (seeded)
    def masks(name, boxes):
        m = np.zeros((3000, 4000), np.uint8)
        for x, y, w, h in boxes:
            m[y : y + h, x : x + w] = 255
        cv2.imwrite(f"{out_dir}/{name}", m)

    masks("12mp-hole1.png", [(1800, 1100, 300, 200)])
    masks("12mp-holes2.png", [(300, 300, 300, 200), (3400, 2500, 300, 200)])
    spots = []
    for i in range(40):
        gx, gy = i % 8, i // 8
        jx, jy = rng.integers(-120, 121, 2)
        spots.append((250 + gx * 480 + int(jx), 250 + gy * 600 + int(jy), 30, 30))
    masks("12mp-holes40.png", spots)


def fill(kind, src, x, y, w, h, out):
    x, y, w, h = int(x), int(y), int(w), int(h)
    t0 = time.perf_counter()
    img = cv2.imread(src, cv2.IMREAD_COLOR)
    t1 = time.perf_counter()
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[y : y + h, x : x + w] = 255
    if kind == "telea":
        res = cv2.inpaint(img, mask, 3, cv2.INPAINT_TELEA)
    else:
        from patchmatch import patch_match

        patch_match.set_random_seed(0)
        res = patch_match.inpaint(img, mask, patch_size=3)
    t2 = time.perf_counter()
    cv2.imwrite(out, res, [cv2.IMWRITE_JPEG_QUALITY, 95])
    t3 = time.perf_counter()
    ms = lambda a, b: round((b - a) * 1000)
    print(f"stages decode={ms(t0, t1)} fill={ms(t1, t2)} encode={ms(t2, t3)}")


def fill_mask(src, mask_path, out):
    t0 = time.perf_counter()
    img = cv2.imread(src, cv2.IMREAD_COLOR)
    mask = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
    t1 = time.perf_counter()
    res = cv2.inpaint(img, mask, 3, cv2.INPAINT_TELEA)
    t2 = time.perf_counter()
    cv2.imwrite(out, res, [cv2.IMWRITE_JPEG_QUALITY, 95])
    t3 = time.perf_counter()
    ms = lambda a, b: round((b - a) * 1000)
    print(f"stages decode={ms(t0, t1)} fill={ms(t1, t2)} encode={ms(t2, t3)}")


def fill_files(src, mask_path, out):
    from patchmatch import patch_match

    img = cv2.imread(src, cv2.IMREAD_COLOR)
    mask = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
    patch_match.set_random_seed(0)
    t0 = time.perf_counter()
    res = patch_match.inpaint(img, mask, patch_size=3)
    t1 = time.perf_counter()
    cv2.imwrite(out, res)
    print(f"stages fill={round((t1 - t0) * 1000)}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "telea-mask":
        fill_mask(*sys.argv[2:])
    elif sys.argv[1] == "patchmatch-files":
        fill_files(*sys.argv[2:])
    else:
        fill(*sys.argv[1:])
