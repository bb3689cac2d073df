"""Structured data for search engines: schema.org NewsArticle on stories, WebSite on home."""


def _absolute(request, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else request.build_absolute_uri(url)


def image_url(request, image, spec: str = "width-1200") -> str | None:
    return _absolute(request, image.get_rendition(spec).url) if image else None


def _publisher(request, publication) -> dict:
    publisher = {"@type": "Organization", "name": publication.name if publication else "Byline"}
    publisher["url"] = request.build_absolute_uri("/")
    logo = publication.logo if publication else None
    if logo:
        publisher["logo"] = {"@type": "ImageObject", "url": image_url(request, logo, "height-120")}
    return publisher


def news_article(request, story, publication) -> dict:
    # A story republished from elsewhere names its original as its address, as its canonical link does.
    url = story.canonical_url or request.build_absolute_uri(story.get_url(request))
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title[:110],
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": story.published_at.isoformat(),
        "dateModified": story.updated_at.isoformat(),
        "description": story.search_description or story.excerpt[:300],
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": request.build_absolute_uri(author.get_absolute_url()),
                **({"sameAs": author.same_as()} if author.same_as() else {}),
            }
            for author in story.authors
        ],
        "publisher": _publisher(request, publication),
    }
    if story.feature_image:
        data["image"] = image_url(request, story.feature_image)
    if story.public_tags:
        data["keywords"] = ", ".join(tag.name for tag in story.public_tags)
    return data


def website(request, publication) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": publication.name if publication else "Byline",
        "url": request.build_absolute_uri("/"),
        "description": publication.description if publication else "",
        "publisher": _publisher(request, publication),
    }
