"""--images: the old site's images, from a folder or a zip, taken into Wagtail's image library."""

import io
import zipfile

import pytest
from PIL import Image as PILImage
from wagtail.images import get_image_model

from byline.porting import services
from byline.porting.images import image_key
from byline.porting.report import ImportFailed
from byline.porting.tests.conftest import minimal_export, post
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def jpeg(colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def media_files(media) -> list[str]:
    return sorted(path.name for path in media.rglob("*") if path.is_file()) if media.exists() else []


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("__GHOST_URL__/content/images/2018/12/Tides.jpg", "2018/12/tides.jpg"),
        ("https://old.example/content/images/size/w600/2018/12/tides.jpg", "2018/12/tides.jpg"),
        ("/content/images/2018/12/tide%20table.jpg", "2018/12/tide table.jpg"),
        ("content/images/2018/12/tides.jpg", "2018/12/tides.jpg"),
        ("2018/12/tides.jpg", "2018/12/tides.jpg"),
        ("https://riverside.example/wp-content/uploads/2024/04/bridge.jpg", "2024/04/bridge.jpg"),
    ],
)
def test_urls_and_file_paths_meet_on_the_same_key(path, key):
    assert image_key(path) == key


def test_a_ghost_import_takes_images_from_a_folder(fixture_path, tmp_path):
    folder = tmp_path / "content" / "images" / "2018" / "12"
    folder.mkdir(parents=True)
    (folder / "tides.jpg").write_bytes(jpeg())
    (folder / "harbour-office.jpg").write_bytes(jpeg((10, 90, 200)))
    report = services.import_ghost(fixture_path("ghost2.json"), images=str(tmp_path / "content"))
    story = StoryPage.objects.get(slug="tide-tables-return")
    assert story.feature_image is not None and story.feature_image.width == 64
    image_blocks = [block for block in story.body if block.block_type == "image"]
    assert len(image_blocks) == 1
    assert image_blocks[0].value["alt"] == "A printed tide table"
    assert report.missing_images == []
    assert report.get("image", "created") == 2
    assert get_image_model().objects.count() == 2


def test_a_wordpress_import_takes_images_from_a_zip_and_reads_nothing_else(fixture_path, tmp_path):
    archive = tmp_path / "uploads.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("wp-content/uploads/2024/04/bridge.jpg", jpeg())
        out.writestr("../../etc/evil.jpg", jpeg())  # read, never extracted: it cannot land anywhere
        out.writestr("notes.txt", "not an image")
    services.import_wordpress(fixture_path("wordpress.xml"), images=str(archive))
    story = StoryPage.objects.get(slug="footbridge-reopens")
    assert story.feature_image is not None
    assert [block.block_type for block in story.body] == ["rich_text", "image", "rich_text"]
    assert get_image_model().objects.count() == 1


def test_a_broken_image_is_reported_and_the_figure_kept_as_html(write_export, tmp_path, media):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "broken.jpg").write_bytes(b"not really a jpeg")
    html = '<figure><img src="/content/images/broken.jpg" alt="x"></figure>'
    report = services.import_ghost(
        write_export(minimal_export(post("pic", html=html))), images=str(tmp_path / "images")
    )
    story = StoryPage.objects.get()
    assert [block.block_type for block in story.body] == ["html"]
    assert any("not a readable image" in str(problem) for problem in report.problems)


def test_a_failed_import_removes_the_image_files_it_wrote(write_export, tmp_path, media):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "cover.jpg").write_bytes(jpeg())
    path = write_export(minimal_export(post("cover", feature_image="/content/images/cover.jpg")))
    with pytest.raises(ImportFailed):
        services.import_ghost(path, images=str(tmp_path / "images"), default_author="nobody")
    assert get_image_model().objects.count() == 0
    assert media_files(media) == []


def test_a_dry_run_writes_no_image(write_export, tmp_path, media):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "cover.jpg").write_bytes(jpeg())
    path = write_export(minimal_export(post("cover", feature_image="/content/images/cover.jpg")))
    report = services.import_ghost(path, images=str(tmp_path / "images"), dry_run=True)
    assert report.get("image", "created") == 1
    assert get_image_model().objects.count() == 0 and media_files(media) == []


def test_images_must_be_a_folder_or_a_zip(write_export, tmp_path):
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(ImportFailed, match="is neither a folder nor a zip"):
        services.import_ghost(write_export(minimal_export(post("x"))), images=str(tmp_path / "plain.txt"))
