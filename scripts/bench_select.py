"""Helper of scripts/bench-select: composites with ground truth, OpenCV's GrabCut and
`imgedit mask` on the same cases in the same run, and the table.

  bench_select.py BENCH_DATA_DIR IMGEDIT_BIN WORK_DIR [--cases N] [--keep]

Object cases: a piece of one bench photo cut by a smooth random shape, pasted on another bench
photo resized to 800x600; the box is the shape's bounding box plus 10 px (clipped to the image).
GrabCut: cv2.grabCut(img, mask, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT), timed alone (the call
only, no file reading); imgedit: `imgedit mask IMG --object X,Y,W,H -o OUT.png` timed as a whole
process (start, decode, select, encode, exit).
A second, harder set pastes each piece on its own photo (moved), so that its colours are also
around it.
Wand cases: a flat-coloured shape (colour + Gaussian noise, sigma 3) on a photo, clicked at its
centre, default tolerance.
Large case: a 12 MP (4000x3000) JPEG with an object in a 1000x800 box (imgedit only: its
selection stage from the -v log, and the whole process).
"""

import json
import os
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np

W, H = 800, 600
PAD = 10


def shape_polygon(rng, cx, cy, radius, sx=1.0):
    """A smooth random closed shape: a radius that varies with the angle (5 harmonics)."""
    theta = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    r = np.ones_like(theta)
    for k in range(1, 6):
        r += rng.uniform(-0.28, 0.28) / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r = radius * np.maximum(r, 0.35)
    pts = np.stack([cx + sx * r * np.cos(theta), cy + r * np.sin(theta)], axis=1)
    return pts, float(np.max(r))


def fill(shape_hw, pts):
    m = np.zeros(shape_hw, np.uint8)
    cv2.fillPoly(m, [np.round(pts * 16).astype(np.int32)], 255, lineType=cv2.LINE_8, shift=4)
    return m


def box_of(mask, pad, w, h):
    ys, xs = np.nonzero(mask)
    x0, y0 = max(int(xs.min()) - pad, 0), max(int(ys.min()) - pad, 0)
    x1, y1 = min(int(xs.max()) + pad, w - 1), min(int(ys.max()) + pad, h - 1)
    return x0, y0, x1 - x0 + 1, y1 - y0 + 1


def iou(a, b):
    a, b = a > 127, b > 127
    return float((a & b).sum()) / max(float((a | b).sum()), 1.0)


def run_imgedit(binary, args, verbose=False):
    """Runs imgedit; returns the wall time and stderr. An object that selects nothing (exit 3,
    "selects no pixel") counts as an empty mask; any other failure stops the benchmark."""
    cmd = [binary] + (["-v"] if verbose else []) + args
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode == 3 and "selects no pixel" in p.stderr:
        out = args[args.index("-o") + 1]
        cv2.imwrite(out, np.zeros(cv2.imread(args[1], cv2.IMREAD_GRAYSCALE).shape, np.uint8))
        return wall, p.stderr
    if p.returncode != 0:
        sys.exit(f"bench-select: failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return wall, p.stderr


def load_photos(data):
    with open(os.path.join(data, "manifest.json")) as f:
        manifest = json.load(f)
    photos = []
    for entry in manifest["images"]:
        img = cv2.imread(os.path.join(data, entry["image"]), cv2.IMREAD_COLOR)
        if img is not None:
            photos.append((entry["name"], img))
    if len(photos) < 2:
        sys.exit(f"bench-select: {data}: fewer than two readable photos")
    return photos


def object_cases(photos, n, rng, same=False):
    cases = []
    for i in range(n):
        fg_name, fg = photos[i % len(photos)]
        bg_name, bg = photos[(i + 1 + i // len(photos)) % len(photos)]
        if bg_name == fg_name:
            bg_name, bg = photos[(i + 2) % len(photos)]
        if same:
            # the harder kind: the piece moved within its own photo, so its colours are all
            # around it too
            bg_name, bg = fg_name, fg
        canvas = cv2.resize(bg, (W, H), interpolation=cv2.INTER_CUBIC)
        radius = rng.uniform(60, 140)
        # the shape in the source photo's coordinates, then moved onto the canvas
        pts, ext = shape_polygon(rng, 0.0, 0.0, radius)
        fh, fw = fg.shape[:2]
        ax = rng.uniform(ext + 1, fw - ext - 1)
        ay = rng.uniform(ext + 1, fh - ext - 1)
        bx = rng.uniform(ext + PAD + 2, W - ext - PAD - 2)
        by = rng.uniform(ext + PAD + 2, H - ext - PAD - 2)
        truth = fill((H, W), pts + [bx, by])
        shift = np.float32([[1, 0, ax - bx], [0, 1, ay - by]])
        moved = cv2.warpAffine(fg, shift, (W, H), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
        comp = canvas.copy()
        comp[truth > 0] = moved[truth > 0]
        cases.append((f"{fg_name}-on-{bg_name}", comp, truth, box_of(truth, PAD, W, H)))
    return cases


def wand_cases(photos, n, rng):
    cases = []
    for i in range(n):
        bg_name, bg = photos[i % len(photos)]
        canvas = cv2.resize(bg, (W, H), interpolation=cv2.INTER_CUBIC).astype(np.float64)
        radius = rng.uniform(50, 120)
        cx, cy = rng.uniform(180, W - 180), rng.uniform(180, H - 180)
        pts, _ = shape_polygon(rng, cx, cy, radius)
        truth = fill((H, W), pts)
        colour = rng.uniform(30, 225, 3)
        noisy = colour + rng.normal(0, 3, (H, W, 3))
        canvas[truth > 0] = noisy[truth > 0]
        comp = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
        cases.append((f"flat-on-{bg_name}", comp, truth, (int(round(cx)), int(round(cy)))))
    return cases


def object_table(binary, work, cases, tag, keep):
    """Runs GrabCut and imgedit on each case; prints a row per case and the summary."""
    print(f"{'case':<24} {'box':>17} {'IoU grabcut':>11} {'IoU imgedit':>11} "
          f"{'grabcut ms':>10} {'imgedit ms':>10}")
    rows = []
    for i, (name, comp, truth, (x, y, w, h)) in enumerate(cases):
        img_path = os.path.join(work, f"{tag}{i:02}.png")
        out_path = os.path.join(work, f"{tag}{i:02}-imgedit.png")
        cv2.imwrite(img_path, comp)
        gc_mask = np.zeros((H, W), np.uint8)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        t0 = time.perf_counter()
        cv2.grabCut(comp, gc_mask, (x, y, w, h), bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
        t_gc = time.perf_counter() - t0
        gc = np.where((gc_mask == 1) | (gc_mask == 3), 255, 0).astype(np.uint8)
        t_ours, _ = run_imgedit(
            binary, ["mask", img_path, "--object", f"{x},{y},{w},{h}", "-o", out_path, "--force"])
        ours = cv2.imread(out_path, cv2.IMREAD_GRAYSCALE)
        if keep:
            cv2.imwrite(os.path.join(work, f"{tag}{i:02}-truth.png"), truth)
            cv2.imwrite(os.path.join(work, f"{tag}{i:02}-grabcut.png"), gc)
        row = (iou(gc, truth), iou(ours, truth), t_gc * 1e3, t_ours * 1e3)
        rows.append(row)
        print(f"{name:<24} {f'{x},{y},{w},{h}':>17} {row[0]:>11.3f} {row[1]:>11.3f} "
              f"{row[2]:>10.0f} {row[3]:>10.0f}", flush=True)
    gc_iou = statistics.mean(r[0] for r in rows)
    our_iou = statistics.mean(r[1] for r in rows)
    gc_t = statistics.median(r[2] for r in rows)
    our_t = statistics.median(r[3] for r in rows)
    print(f"{'mean IoU':<42} {gc_iou:>11.3f} {our_iou:>11.3f}")
    print(f"{'median ms':<66} {gc_t:>10.0f} {our_t:>10.0f}")
    print(f"{tag}: imgedit IoU - grabcut IoU = {our_iou - gc_iou:+.3f}; "
          f"imgedit process / grabCut call = {our_t / gc_t:.2f}x; "
          f"imgedit better on {sum(r[1] > r[0] + 1e-3 for r in rows)}, "
          f"worse on {sum(r[1] < r[0] - 1e-3 for r in rows)} of {len(rows)} cases")


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    data, binary, work = args[:3]
    n = int(args[args.index("--cases") + 1]) if "--cases" in args else 24
    keep = "--keep" in args
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(26)
    photos = load_photos(data)

    object_table(binary, work, object_cases(photos, n, rng), "obj", keep)
    print()
    print("the same, each piece pasted on its own photo (moved): colours shared with the surroundings")
    object_table(binary, work, object_cases(photos, n // 2, rng, same=True), "same", keep)
    print()
    print(f"{'wand case':<24} {'click':>9} {'IoU imgedit':>11} {'imgedit ms':>10}")
    wand_rows = []
    for i, (name, comp, truth, (cx, cy)) in enumerate(wand_cases(photos, 8, rng)):
        img_path = os.path.join(work, f"wand{i:02}.png")
        out_path = os.path.join(work, f"wand{i:02}-imgedit.png")
        cv2.imwrite(img_path, comp)
        t, _ = run_imgedit(binary, ["mask", img_path, "--wand", f"{cx},{cy}", "-o", out_path,
                                    "--force"])
        score = iou(cv2.imread(out_path, cv2.IMREAD_GRAYSCALE), truth)
        wand_rows.append(score)
        print(f"{name:<24} {f'{cx},{cy}':>9} {score:>11.3f} {t * 1e3:>10.0f}", flush=True)
    print(f"wand: mean IoU {statistics.mean(wand_rows):.3f}, min {min(wand_rows):.3f} "
          f"(default tolerance, noise sigma 3)")

    # 12 MP, a 1000x800 box
    print()
    name, fg = photos[1 % len(photos)]
    _, bg = photos[0]
    big = cv2.resize(bg, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    src = cv2.resize(fg, (1600, 1600), interpolation=cv2.INTER_CUBIC)
    # an object that fills its 1000x800 box as a loose drag would: its bounding box 960x760
    pts, _ = shape_polygon(np.random.default_rng(5), 0.0, 0.0, 300.0)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pts = (pts - (lo + hi) / 2) * [960 / (hi - lo)[0], 760 / (hi - lo)[1]] + [2000.0, 1500.0]
    truth = fill((3000, 4000), pts)
    shift = np.float32([[1, 0, 800 - 2000], [0, 1, 800 - 1500]])
    moved = cv2.warpAffine(src, shift, (4000, 3000), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    big[truth > 0] = moved[truth > 0]
    noise = np.random.default_rng(6).integers(-4, 5, big.shape, dtype=np.int16)
    big = np.clip(big.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    big_path = os.path.join(work, "12mp.jpg")
    cv2.imwrite(big_path, big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    x, y, w, h = 1500, 1100, 1000, 800
    ys, xs = np.nonzero(truth)
    assert xs.min() >= x and xs.max() < x + w and ys.min() >= y and ys.max() < y + h
    times, stages = [], []
    for _ in range(3):
        t, log = run_imgedit(binary, ["mask", big_path, "--object", f"{x},{y},{w},{h}", "-o",
                                      os.path.join(work, "12mp-imgedit.png"), "--force"],
                             verbose=True)
        times.append(t * 1e3)
        for line in log.splitlines():
            if 'stage="select"' in line:
                stages.append(float(line.split("ms=")[1].split()[0]))
    ours = cv2.imread(os.path.join(work, "12mp-imgedit.png"), cv2.IMREAD_GRAYSCALE)
    print(f"12 MP (4000x3000 JPEG), box {x},{y},{w},{h}: IoU {iou(ours, truth):.3f}, "
          f"selection {statistics.median(stages):.0f} ms, whole process "
          f"{statistics.median(times):.0f} ms (median of 3; decode and PNG encode included)")


if __name__ == "__main__":
    main()
