"""The OpenAPI 3.1 document of the Content API and of the Admin API's post, page and image endpoints,
written by hand from the same field lists the serializers fill, served at /ghost/api/content/openapi.json.

Objects list every field Byline may send, none required: `fields`, `formats` and `include` choose which
appear. Nullable fields are typed `[T, "null"]`, as Ghost sends null rather than empty text.
"""

from byline.api.serializers import GHOST_VERSION


def _nullable(kind: str) -> dict:
    return {"type": [kind, "null"]}


STRING, TEXT, BOOL, INT = {"type": "string"}, _nullable("string"), {"type": "boolean"}, {"type": "integer"}
DATE = {"type": ["string", "null"], "format": "date-time"}

TAG = {
    "type": "object",
    "properties": {
        "id": STRING, "name": STRING, "slug": STRING, "description": TEXT, "feature_image": TEXT,
        "visibility": {"enum": ["public", "internal"]}, "og_image": TEXT, "og_title": TEXT,
        "og_description": TEXT, "twitter_image": TEXT, "twitter_title": TEXT, "twitter_description": TEXT,
        "meta_title": TEXT, "meta_description": TEXT, "codeinjection_head": TEXT, "codeinjection_foot": TEXT,
        "canonical_url": TEXT, "accent_color": TEXT, "url": STRING,
        "count": {"type": "object", "properties": {"posts": INT}, "required": ["posts"]},
    },
}  # fmt: skip
AUTHOR = {
    "type": "object",
    "properties": {
        "id": STRING, "name": STRING, "slug": STRING, "profile_image": TEXT, "cover_image": TEXT,
        "bio": TEXT, "website": TEXT, "location": TEXT, "facebook": TEXT, "twitter": TEXT, "threads": TEXT,
        "bluesky": TEXT, "mastodon": TEXT, "tiktok": TEXT, "youtube": TEXT, "instagram": TEXT,
        "linkedin": TEXT,
        "meta_title": TEXT, "meta_description": TEXT, "url": STRING,
        "count": {"type": "object", "properties": {"posts": INT}, "required": ["posts"]},
    },
}  # fmt: skip
POST_PROPERTIES = {
    "id": STRING, "uuid": STRING, "title": STRING, "slug": STRING, "html": STRING, "plaintext": STRING,
    "comment_id": STRING, "feature_image": TEXT, "featured": BOOL,
    "visibility": {"enum": ["public", "members", "paid", "tiers"]}, "created_at": DATE, "updated_at": DATE,
    "published_at": DATE, "custom_excerpt": TEXT, "codeinjection_head": TEXT, "codeinjection_foot": TEXT,
    "custom_template": TEXT, "canonical_url": TEXT, "url": STRING, "excerpt": TEXT,
    "reading_time": INT, "access": BOOL, "comments": BOOL, "og_image": TEXT, "og_title": TEXT,
    "og_description": TEXT, "twitter_image": TEXT, "twitter_title": TEXT, "twitter_description": TEXT,
    "meta_title": TEXT, "meta_description": TEXT, "email_subject": TEXT, "frontmatter": TEXT,
    "feature_image_alt": TEXT, "feature_image_caption": TEXT,
    "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
    "authors": {"type": "array", "items": {"$ref": "#/components/schemas/Author"}},
    "primary_tag": {"anyOf": [{"$ref": "#/components/schemas/Tag"}, {"type": "null"}]},
    "primary_author": {"anyOf": [{"$ref": "#/components/schemas/Author"}, {"type": "null"}]},
}  # fmt: skip
POST = {"type": "object", "properties": POST_PROPERTIES}
PAGE = {"type": "object", "properties": {**POST_PROPERTIES, "show_title_and_feature_image": BOOL}}
ADMIN_POST = {
    "type": "object",
    "properties": {
        **POST_PROPERTIES,
        "status": {"enum": ["draft", "published", "scheduled"]},
        "email_segment": STRING,
        "email_only": BOOL,
        "email": {"type": "null"},
        "newsletter": {"type": "null"},
    },
}
ADMIN_PAGE = {
    "type": "object",
    "properties": {
        **PAGE["properties"],
        "type": {"enum": ["page"]},
        "status": {"enum": ["draft", "published", "scheduled"]},
    },
}
NEWSLETTER = {
    "type": "object",
    "properties": {
        "id": STRING, "uuid": STRING, "name": STRING, "description": TEXT, "slug": STRING,
        "sender_email": TEXT, "subscribe_on_signup": BOOL, "visibility": STRING, "sort_order": INT,
        "created_at": DATE, "updated_at": DATE,
    },
}  # fmt: skip
TIER = {
    "type": "object",
    "properties": {
        "id": STRING, "name": STRING, "description": TEXT, "slug": STRING, "active": BOOL, "type": STRING,
        "welcome_page_url": TEXT, "created_at": DATE, "updated_at": DATE, "visibility": STRING,
        "benefits": {"type": "array"}, "trial_days": INT,
    },
}  # fmt: skip
ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["message", "context", "type", "details", "property", "help", "code", "id",
                             "ghostErrorCode"],
                "properties": {
                    "message": STRING, "context": TEXT, "type": STRING, "details": {}, "property": TEXT,
                    "help": TEXT, "code": TEXT, "id": STRING, "ghostErrorCode": TEXT,
                },
            },
        }
    },
}  # fmt: skip
PAGINATION = {
    "type": "object",
    "required": ["pagination"],
    "properties": {
        "pagination": {
            "type": "object",
            "required": ["page", "limit", "pages", "total", "next", "prev"],
            "properties": {
                "page": INT, "limit": {"type": ["integer", "string"]}, "pages": INT, "total": INT,
                "next": _nullable("integer"), "prev": _nullable("integer"),
            },
        }
    },
}  # fmt: skip

KEY = {
    "name": "key",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{26}$"},
}
BROWSE_PARAMETERS = [
    {"name": "include", "in": "query", "schema": STRING},
    {"name": "fields", "in": "query", "schema": STRING},
    {"name": "formats", "in": "query", "schema": STRING},
    {"name": "filter", "in": "query", "schema": STRING},
    {"name": "limit", "in": "query", "schema": {"type": "string", "pattern": "^([1-9][0-9]{0,3}|all)$"}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
    {"name": "order", "in": "query", "schema": STRING},
]
READ_PARAMETERS = BROWSE_PARAMETERS[:3]


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERRORS = {
    "400": _error("A parameter is malformed; `property` names it."),
    "401": _error("Unknown key or invalid token."),
    "403": _error("No key or token."),
    "404": _error("No such object."),
    "429": _error("Too many unknown keys from this address."),
}


def _envelope(name: str, schema: str, *, meta: bool) -> dict:
    properties = {name: {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}}}
    if meta:
        properties["meta"] = {"$ref": "#/components/schemas/Meta"}
    body = {"type": "object", "required": [name], "properties": properties}
    return {"200": {"description": "OK", "content": {"application/json": {"schema": body}}}, **ERRORS}


def _content_paths() -> dict:
    paths = {}
    for name, schema in (("posts", "Post"), ("pages", "Page"), ("tags", "Tag"), ("authors", "Author")):
        paths[f"/ghost/api/content/{name}/"] = {
            "get": {"operationId": f"browse_{name}", "parameters": [KEY, *BROWSE_PARAMETERS],
                    "responses": _envelope(name, schema, meta=True)}
        }  # fmt: skip
        for lookup in ("id", "slug"):
            path = (
                f"/ghost/api/content/{name}/{{{lookup}}}/"
                if lookup == "id"
                else f"/ghost/api/content/{name}/slug/{{slug}}/"
            )
            paths[path] = {
                "get": {
                    "operationId": f"read_{name}_by_{lookup}",
                    "parameters": [KEY, {"name": lookup, "in": "path", "required": True, "schema": STRING},
                                   *READ_PARAMETERS],
                    "responses": _envelope(name, schema, meta=False),
                }
            }  # fmt: skip
    paths["/ghost/api/content/newsletters/"] = {
        "get": {"operationId": "browse_newsletters", "parameters": [KEY, *BROWSE_PARAMETERS],
                "responses": _envelope("newsletters", "Newsletter", meta=True)}
    }  # fmt: skip
    paths["/ghost/api/content/tiers/"] = {
        "get": {
            "operationId": "browse_tiers",
            "parameters": [KEY],
            "responses": _envelope("tiers", "Tier", meta=True),
        }
    }
    settings = {"type": "object", "required": ["settings"], "properties": {"settings": {"type": "object"}}}
    paths["/ghost/api/content/settings/"] = {
        "get": {
            "operationId": "read_settings",
            "parameters": [KEY],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": settings}}},
                **ERRORS,
            },
        }
    }
    for name in ("posts", "authors", "tags"):
        body = {
            "type": "object",
            "required": [name],
            "properties": {name: {"type": "array", "items": {"type": "object"}}},
        }
        paths[f"/ghost/api/content/search-index/{name}/"] = {
            "get": {
                "operationId": f"search_index_{name}",
                "parameters": [KEY],
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": body}}},
                    **ERRORS,
                },
            }
        }
    return paths


def _admin_writable(name: str, singular: str, schema: str) -> dict:
    """Browse, add, read, edit and delete of Admin API posts or pages, which Ghost treats alike."""
    security = [{"GhostAdminToken": []}]
    return {
        f"/ghost/api/admin/{name}/": {
            "get": {"operationId": f"admin_browse_{name}", "security": security,
                    "parameters": BROWSE_PARAMETERS[:3],
                    "responses": _envelope(name, schema, meta=True)},
            "post": {"operationId": f"admin_add_{singular}", "security": security,
                     "parameters": [{"name": "source", "in": "query", "schema": {"enum": ["html"]}}],
                     "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                     "responses": {"201": _envelope(name, schema, meta=False)["200"], **ERRORS,
                                   "422": _error(f"The {singular} is not valid.")}},
        },
        f"/ghost/api/admin/{name}/{{id}}/": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": STRING}],
            "get": {"operationId": f"admin_read_{singular}", "security": security,
                    "responses": _envelope(name, schema, meta=False)},
            "put": {"operationId": f"admin_edit_{singular}", "security": security,
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {**_envelope(name, schema, meta=False),
                                  "409": _error("updated_at is not the latest."), "422": _error("Invalid.")}},
            "delete": {"operationId": f"admin_delete_{singular}", "security": security,
                       "responses": {"204": {"description": "Deleted"}, **ERRORS}},
        },
    }  # fmt: skip


def _admin_paths() -> dict:
    security = [{"GhostAdminToken": []}]
    return {
        **_admin_writable("posts", "post", "AdminPost"),
        **_admin_writable("pages", "page", "AdminPage"),
        "/ghost/api/admin/images/upload/": {
            "post": {"operationId": "admin_upload_image", "security": security,
                     "requestBody": {"content": {"multipart/form-data": {"schema": {
                         "type": "object", "properties": {"file": {"type": "string", "format": "binary"},
                                                          "ref": STRING}}}}},
                     "responses": {"201": {"description": "Stored"}, **ERRORS, "413": _error("Too large."),
                                   "415": _error("Not an image."), "422": _error("No file.")}},
        },
    }  # fmt: skip


def document(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Byline's Ghost-compatible API",
            "version": GHOST_VERSION,
            "description": "Ghost's Content API and part of its Admin API, served by Byline "
            "(see byline/api/README.md).",
        },
        "servers": [{"url": server_url}],
        "paths": {**_content_paths(), **_admin_paths()},
        "components": {
            "schemas": {
                "Post": POST, "Page": PAGE, "AdminPost": ADMIN_POST, "AdminPage": ADMIN_PAGE, "Tag": TAG,
                "Author": AUTHOR, "Newsletter": NEWSLETTER, "Tier": TIER, "Error": ERROR, "Meta": PAGINATION,
            },
            "securitySchemes": {
                "GhostAdminToken": {"type": "apiKey", "in": "header", "name": "Authorization",
                                    "description": "Ghost <JWT: HS256, Admin API key, aud /admin/, 5 min>"},
            },
        },
    }  # fmt: skip
