"""Every name videokit gives an output file, in one place.

A video's files are named after its slug and the run's language (``<slug>.<lang>.vtt``); the web
team, the review desk and the social-media copies all read these names from here.
"""

from __future__ import annotations

ZIP_NAME = "videokit-site.zip"
MANIFEST_NAME = "manifest.json"
SITE_INDEX = "index.html"

# Facebook reads the caption language from a locale in the file name; other sites take a plain one.
_FACEBOOK_LOCALES = {"da": "da_DK", "en": "en_US", "sv": "sv_SE", "de": "de_DE", "nb": "nb_NO"}


def file_names(slug: str, language: str = "da") -> dict[str, str]:
    """The files of one video on the site and in the preview, by role."""
    return {
        "mp4": f"{slug}.mp4",
        "poster": "poster.jpg",
        "vtt": f"{slug}.{language}.vtt",
        "srt": f"{slug}.{language}.srt",
        "txt": f"{slug}.{language}.txt",
        "transcript": "transcript.json",
        "page": "index.html",
        "embed": "embed.html",
        # What is shown but not said (WCAG 1.2.5): the descriptions track and the record a
        # public body can put in its accessibility statement (written for approved videos).
        "descriptions": f"{slug}.{language}.descriptions.vtt",
        "record": "tilgaengelighed.json",
        "record_page": "tilgaengelighed.html",
    }


def social_names(slug: str, language: str = "da") -> dict[str, str]:
    """Copies for social media: Facebook's locale-named SRT, a plain SRT, the 9:16 video."""
    locale = _FACEBOOK_LOCALES.get(language, language)
    return {
        "facebook_srt": f"{slug}.{locale}.srt",
        "srt": f"{slug}.{language}.srt",
        "vertical": f"{slug}-9x16.mp4",
    }


def review_names(slug: str, language: str = "da") -> dict[str, str]:
    """The editors' two views of a video and the new drafts written beside them."""
    return {
        "srt": f"{slug}.{language}.srt",
        "txt": f"{slug}.txt",
        "new_srt": f"{slug}.new-draft.{language}.srt",
        "new_txt": f"{slug}.new-draft.txt",
        "screen": f"{slug}.skaermtekst.toml",  # decisions on text shown but not said
        "condense": f"{slug}.kondensering.txt",  # condensing proposals the editor accepts or not
    }
