"""More hole placements on the eight bench photos (issue 27), for examples/quality.rs.

The bench manifest has one case of each kind per photo, so a kind's mean is eight cases and one
photo can carry it. This writes 104 more, seeded (the same masks on every run), with the photo as
its own ground truth:
  - xrect: 5 rectangles per photo, 4-12% of the area, aspect 0.6-1.6, anywhere inside;
  - xbig:  2 squares per photo, 200-280 px, off-centre;
  - xout:  3 borders per photo with ground truth: the right 112 px, the bottom 112 px, a 48 px
           ring;
  - xbrush: 3 brush strokes per photo, polylines of 3-5 points, 18-34 px wide.

Usage: python scripts/extra_cases.py OUT_DIR [IMAGES_DIR]
  (IMAGES_DIR defaults to ../shared/bench-data/images; needs numpy and cv2, e.g.
  target/bench-venv/bin/python after scripts/bench-large). Writes OUT_DIR/manifest.json and
  OUT_DIR/masks/*.png; the photos are referenced, not copied (mind their licences).
"""

import json
import os
import sys

import cv2
import numpy as np

NAMES = ["astronaut", "brick", "camera", "chelsea", "coffee", "dune", "meadow", "rocket"]
SIDE = 512


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    images = os.path.abspath(sys.argv[2] if len(sys.argv) == 3 else "../shared/bench-data/images")
    os.makedirs(os.path.join(out, "masks"), exist_ok=True)
    cases = []

    def add(name, kind, tag, mask):
        path = f"masks/{name}_{tag}.png"
        cv2.imwrite(os.path.join(out, path), mask)
        img = os.path.join(images, f"{name}.png")
        if not os.path.isfile(img):
            sys.exit(f"extra_cases: {img}: no such photo")
        cases.append({"id": f"{name}_{tag}", "kind": kind, "image": img, "ground_truth": img,
                      "mask": path})

    rng = np.random.default_rng(27)
    for name in NAMES:
        for k in range(5):
            area = rng.uniform(0.04, 0.12) * SIDE * SIDE
            aspect = rng.uniform(0.6, 1.6)
            w = int(np.sqrt(area * aspect))
            h = int(area / w)
            x = int(rng.integers(8, SIDE - w - 8))
            y = int(rng.integers(8, SIDE - h - 8))
            m = np.zeros((SIDE, SIDE), np.uint8)
            m[y:y + h, x:x + w] = 255
            add(name, "xrect", f"xr{k}", m)
    rng = np.random.default_rng(2727)
    for name in NAMES:
        for k in range(2):
            s = int(rng.integers(200, 281))
            x = int(rng.integers(16, SIDE - s - 16))
            y = int(rng.integers(16, SIDE - s - 16))
            m = np.zeros((SIDE, SIDE), np.uint8)
            m[y:y + s, x:x + s] = 255
            add(name, "xbig", f"xb{k}", m)
        for k, side in enumerate(["right", "bottom", "ring48"]):
            m = np.zeros((SIDE, SIDE), np.uint8)
            if side == "right":
                m[:, SIDE - 112:] = 255
            elif side == "bottom":
                m[SIDE - 112:, :] = 255
            else:
                m[:, :] = 255
                m[48:SIDE - 48, 48:SIDE - 48] = 0
            add(name, "xout", f"xo{k}", m)
    # (its own generator, so the cases above stay the same masks)
    rng = np.random.default_rng(272727)
    for name in NAMES:
        for k in range(3):
            n = int(rng.integers(3, 6))
            pts = rng.integers(40, SIDE - 40, (n, 2)).astype(np.int32)
            width = int(rng.integers(18, 35))
            m = np.zeros((SIDE, SIDE), np.uint8)
            cv2.polylines(m, [pts.reshape(-1, 1, 2)], False, 255, width, cv2.LINE_8)
            add(name, "xbrush", f"xs{k}", m)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"description": __doc__.strip().splitlines()[0], "cases": cases}, f, indent=1)
    print(f"{len(cases)} cases in {out}/manifest.json")


if __name__ == "__main__":
    main()
