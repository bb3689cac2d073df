"""The story body's blocks, close to Ghost's cards so imported content has a home.

Each block renders through a template in templates/blocks/ so a theme can restyle it.
"""

from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = [
    "h2", "h3", "h4", "bold", "italic", "link", "ol", "ul", "blockquote", "code",
    "superscript", "subscript", "strikethrough", "hr", "document-link",
]  # fmt: skip


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt = blocks.CharBlock(
        required=False,
        max_length=250,
        help_text="Describe the image for readers who cannot see it.",
    )
    caption = blocks.CharBlock(required=False, max_length=500)
    width = blocks.ChoiceBlock(
        choices=[("regular", "Regular"), ("wide", "Wide"), ("full", "Full width")],
        default="regular",
    )

    class Meta:
        icon = "image"
        template = "blocks/image.html"


class GalleryBlock(blocks.StructBlock):
    images = blocks.ListBlock(ImageChooserBlock(), min_num=1, max_num=9)
    caption = blocks.CharBlock(required=False, max_length=500)

    class Meta:
        icon = "grip"
        template = "blocks/gallery.html"


class EmbedCardBlock(blocks.StructBlock):
    url = EmbedBlock(help_text="A link to a video, post or map (YouTube, Vimeo, Bluesky, …).")
    caption = blocks.CharBlock(required=False, max_length=500)

    class Meta:
        icon = "media"
        template = "blocks/embed.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "openquote"
        template = "blocks/quote.html"


class CalloutBlock(blocks.StructBlock):
    emoji = blocks.CharBlock(required=False, max_length=8)
    text = blocks.RichTextBlock(features=["bold", "italic", "link"])

    class Meta:
        icon = "help"
        template = "blocks/callout.html"


class CodeBlock(blocks.StructBlock):
    language = blocks.CharBlock(required=False, max_length=40)
    code = blocks.TextBlock()

    class Meta:
        icon = "code"
        template = "blocks/code.html"


class DividerBlock(blocks.StaticBlock):
    class Meta:
        icon = "horizontalrule"
        admin_text = "A horizontal divider."
        template = "blocks/divider.html"


class ButtonBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=80)
    url = blocks.URLBlock()

    class Meta:
        icon = "link"
        template = "blocks/button.html"


class RawHTMLBlock(blocks.RawHTMLBlock):
    """Trusted HTML: for imported content and editors who need it. Never for reader input."""

    class Meta:
        icon = "code"
        label = "Raw HTML"


class StoryBodyBlock(blocks.StreamBlock):
    rich_text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, template="blocks/rich_text.html")
    image = ImageBlock()
    gallery = GalleryBlock()
    embed = EmbedCardBlock()
    quote = QuoteBlock()
    callout = CalloutBlock()
    code = CodeBlock()
    divider = DividerBlock()
    button = ButtonBlock()
    html = RawHTMLBlock()
