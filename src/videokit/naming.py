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
    """Caption files for social media as approved: Facebook's locale-named SRT and a plain one."""
    locale = _FACEBOOK_LOCALES.get(language, language)
    return {
        "facebook_srt": f"{slug}.{locale}.srt",
        "srt": f"{slug}.{language}.srt",
    }


def social_format_names(slug: str, tag: str, language: str = "da") -> dict[str, str]:
    """One social format's files (``tag`` as "9x16"): the clean video, the one with captions
    burned in, and the clean one's caption file (Facebook's locale name, which the others take
    too)."""
    locale = _FACEBOOK_LOCALES.get(language, language)
    return {
        "clean": f"{slug}-{tag}.mp4",
        "burned": f"{slug}-{tag}-captions.mp4",
        "captions": f"{slug}-{tag}.{locale}.srt",
    }


SOCIAL_STATUS = ".status.json"  # in social/<slug>/: what is ready (videokit.social.SocialStatus)


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
