"""Take the README's screenshots of the default theme from a fresh demo publication.

    .venv/bin/python docs/screenshots/take.py               # writes docs/screenshots/*.png
    .venv/bin/python docs/screenshots/take.py --data /tmp/d # keeps (and reuses) that data folder

It migrates a temporary data folder, loads `byline demo --stories 24`, collects static files, runs
the site with `byline runserver` on a free port and photographs the home page and a story page
with the system Chromium at desktop (1280) and phone (390) widths.

The server runs with DEBUG off, as in production: whitenoise serves the collected, hashed static
files (`runserver --insecure` would look for them in the source folders and miss the hashed names).
Nothing leaves the machine: the demo draws its own pictures and the theme loads nothing from other
hosts. The PNGs are reduced to a 256-colour palette so each stays well under 400 KB.
"""

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from io import BytesIO
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
BYLINE = Path(sys.executable).with_name("byline")
CHROMIUM = os.environ.get("BYLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# (name, viewport width, height of the picture, device pixel ratio)
SHOTS = {
    "desktop": (1280, 1500, 1),
    "phone": (390, 1300, 2),
}
MAX_BYTES = 400_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def byline(env: dict, *args: str) -> None:
    print("$ byline", " ".join(args), flush=True)
    subprocess.run([str(BYLINE), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def story_path(home_html: str) -> str:
    """The featured story's address (the first card on the home page)."""
    match = re.search(r'class="card__title"><a href="([^"]+)"', home_html)
    if not match:
        raise SystemExit("The home page shows no story cards: did the demo load?")
    return match.group(1)


def save_small(png: bytes, path: Path) -> None:
    """A 256-colour PNG, dithered so the demo's gradients do not band; undithered if that is too big."""
    image = Image.open(BytesIO(png)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    for dither in (Image.Dither.FLOYDSTEINBERG, Image.Dither.NONE):
        image.quantize(palette=palette, dither=dither).save(path, optimize=True)
        if path.stat().st_size <= MAX_BYTES:
            break
    size = path.stat().st_size
    print(f"  {path.relative_to(HERE.parent.parent)}  {image.width}x{image.height}  {size // 1024} KB")
    if size > MAX_BYTES:
        print(f"  warning: {path.name} is over {MAX_BYTES // 1000} KB")


def photograph(base: str, story: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for device, (width, height, scale) in SHOTS.items():
            context = browser.new_context(
                base_url=base,
                viewport={"width": width, "height": min(height, 900)},
                device_scale_factor=scale,
                is_mobile=device == "phone",
                has_touch=device == "phone",
                color_scheme="light",
                reduced_motion="reduce",
            )
            page = context.new_page()
            for name, path in (("home", "/"), ("story", story)):
                page.goto(path, wait_until="networkidle")
                # Lazy images below the fold: load them all before the picture is taken.
                page.evaluate(
                    "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
                )
                page.evaluate("Promise.all([...document.images].map((i) => i.decode().catch(() => null)))")
                png = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
                save_small(png, out / f"{name}-{device}.png")
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="use (and keep) this data folder")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the PNGs")
    options = parser.parse_args()

    data = options.data or Path(tempfile.mkdtemp(prefix="byline-screenshots-"))
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}},
        "BYLINE_DATA_DIR": str(data),
        "BYLINE_URL": base,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "byline.settings",
    }
    server = None
    try:
        byline(env, "migrate", "--noinput", "-v0")
        byline(env, "demo", "--stories", "24")
        byline(env, "collectstatic", "--noinput", "-v0")
        print(f"$ byline runserver {port}", flush=True)
        server = subprocess.Popen(
            [str(BYLINE), "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(base + "/")
        with urllib.request.urlopen(base + "/") as response:  # noqa: S310 (our own server)
            story = story_path(response.read().decode())
        options.out.mkdir(parents=True, exist_ok=True)
        photograph(base, story, options.out)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        if not options.data:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
