"""Images brought along with an import (`--images <folder or zip>`), taken into Wagtail's image library.

An export refers to its images by URL: Ghost's `/content/images/2024/05/boat.jpg` (and its resized
copies under `/content/images/size/w600/…`), WordPress's `/wp-content/uploads/2024/05/boat.jpg`. The
folder or zip is indexed by the part of each file's path after `content/images/` or `uploads/` (or its
whole path), and a URL finds its file by the same part. Each file becomes one Wagtail image, at most
once per import. Only image files are read; a zip is read member by member (never extracted, so no
path in it can escape), and members larger than MAX_BYTES are refused (no zip bombs).
"""

import io
import re
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from django.core.files.images import ImageFile
from wagtail.images import get_image_model

from byline.porting.report import ImportFailed, Report

EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"}
MAX_BYTES = 40 * 1024 * 1024
SIZED_COPY = re.compile(r"^size/w\d+(?:h\d+)?/")
ANCHORS = ("content/images/", "wp-content/uploads/", "uploads/")


def image_key(path: str) -> str:
    """The part of a URL or file path that identifies an image across the export and the folder."""
    path = unquote(urlsplit(path).path if "://" in path or path.startswith("/") else path).lstrip("/")
    for anchor in ANCHORS:
        if anchor in path:
            path = path.split(anchor, 1)[1]
            break
    return SIZED_COPY.sub("", path).lower()


class ImageLibrary:
    def __init__(self, source: str, report: Report, *, dry_run: bool = False):
        self.report = report
        self.dry_run = dry_run
        self.files: dict[str, object] = {}  # key → a Path, or a zip member's name
        self.taken: dict[str, object] = {}  # key → the Wagtail image (or None when it could not be read)
        self.created_files: list[str] = []  # storage names, removed again if the import fails
        self.zip: zipfile.ZipFile | None = None
        path = Path(source)
        if path.is_dir():
            for file in path.rglob("*"):
                if file.is_file() and file.suffix.lower() in EXTENSIONS:
                    self._index(image_key(file.relative_to(path).as_posix()), file)
        elif path.is_file() and zipfile.is_zipfile(path):
            self.zip = zipfile.ZipFile(path)
            for member in self.zip.infolist():
                name = PurePosixPath(member.filename)
                if member.is_dir() or name.suffix.lower() not in EXTENSIONS:
                    continue
                self._index(image_key(member.filename), member)
        else:
            raise ImportFailed(f"--images {source}: is neither a folder nor a zip file.")

    def _index(self, key: str, found) -> None:
        """Under its key and each shorter tail of it ("images/2024/05/a.jpg", "2024/05/a.jpg", …), so the
        folder may be content/, content/images/ or anything around them; the fullest match wins."""
        parts = key.split("/")
        for start in range(len(parts)):
            self.files.setdefault("/".join(parts[start:]), found)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def image_for(self, url: str):
        """The Wagtail image for an image URL in the export, or None (not in the folder, or unreadable)."""
        if not url:
            return None
        key = image_key(url)
        if key in self.taken:
            return self.taken[key]
        found = self.files.get(key)
        image = None
        if found is not None:
            image = self._take(key, found)
        self.taken[key] = image
        return image

    def _read(self, found) -> bytes | None:
        if isinstance(found, Path):
            if found.stat().st_size > MAX_BYTES:
                return None
            return found.read_bytes()
        if found.file_size > MAX_BYTES:
            return None
        with self.zip.open(found) as member:
            data = member.read(MAX_BYTES + 1)
        return data if len(data) <= MAX_BYTES else None

    def _take(self, key: str, found):
        name = PurePosixPath(key).name
        data = self._read(found)
        if data is None:
            self.report.problem(f"images {key}", "", f"larger than {MAX_BYTES // (1024 * 1024)} MB; left out")
            return None
        if self.dry_run:
            self.report.count("image", "created")
            return None
        Image = get_image_model()
        try:
            image = Image(
                title=PurePosixPath(name).stem[:255] or "Imported image",
                file=ImageFile(io.BytesIO(data), name=name),
            )
            image.save()
        except Exception as error:  # Pillow's errors for a broken file are many and unrelated
            self.report.problem(
                f"images {key}", "", f"not a readable image ({error.__class__.__name__}); left out"
            )
            return None
        self.created_files.append(image.file.name)
        self.report.count("image", "created")
        return image

    def remove_created_files(self) -> None:
        """After a failed import (the rows are rolled back): the files the images pointed at go too."""
        storage = get_image_model()._meta.get_field("file").storage
        for name in self.created_files:
            storage.delete(name)
