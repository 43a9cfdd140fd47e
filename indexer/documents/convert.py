"""A document's bytes → Markdown text, by its suffix: Markdown and plain text as they are, PDF through PyMuPDF, Word
(.docx) through mammoth (→ HTML) and HTML through markdownify. Every refusal is a DocumentError naming the file.

Maintained converters rather than hand-written parsing; markitdown was considered and not taken: it always
installs magika and onnxruntime (~60 MB, a model that guesses the file type) for a choice the suffix makes here,
and it calls the same mammoth/markdownify/pdfminer underneath."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from indexer.errors import DocumentError

TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".text")
SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx", ".html", ".htm")
# A .docx is a zip; one that inflates past this (or by more than the ratio) is refused before it is read,
# so a zip bomb costs nothing. Real Word files compress text ~3-10x.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
# Tags whose content is never document text; removed with their content before HTML becomes Markdown.
_DROPPED_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "template", "svg", "canvas", "form")
_BINARY_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class Converted:
    text: str  # Markdown
    kind: str  # "markdown", "text", "pdf", "docx", "html"
    notes: list[str] = field(default_factory=list)  # what the converter reported (kept as warnings)


def convert(name: str, data: bytes, *, max_bytes: int) -> Converted:
    """Markdown for the document `name` (its suffix picks the converter) holding `data`."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in SUFFIXES:
        raise DocumentError(f"{name}: unsupported file type {suffix or '(no suffix)'!r}; "
                            f"add one of {', '.join(SUFFIXES)}")
    if len(data) > max_bytes:
        raise DocumentError(too_large(name, len(data), max_bytes))
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty")
    if suffix in TEXT_SUFFIXES:
        result = Converted(_decode_text(name, data), "markdown" if suffix in (".md", ".markdown") else "text")
    elif suffix == ".pdf":
        result = _pdf(name, data)
    elif suffix == ".docx":
        result = _docx(name, data)
    elif _binary(data):
        raise DocumentError(f"{name}: a binary file, not HTML (renamed? save the page as .html first)")
    else:
        result = Converted(html_to_markdown(_decode_html(data)), "html")
    result.text = result.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not result.text.strip():
        raise DocumentError(f"{name}: no text in the file")
    return result


def too_large(name: str, size: int, max_bytes: int) -> str:
    """The refusal of a file over the limit, in the unit of --max-document-mb (MiB, shown as MB)."""
    mib = 1024 * 1024
    return f"{name}: {size / mib:.1f} MB is over the {max_bytes / mib:g} MB limit (--max-document-mb)"


def _binary(data: bytes) -> bool:
    """Text never holds NUL or many other C0 controls (unless it is UTF-16, which says so with its BOM); an image
    or archive renamed .md or .html does."""
    sample = data[:65536]
    if sample.startswith(_UTF16_BOMS):
        return False
    return b"\x00" in sample or len(_BINARY_CONTROL.findall(sample)) > len(sample) // 100


def _decode_text(name: str, data: bytes) -> str:
    if _binary(data):
        raise DocumentError(f"{name}: a binary file, not text (renamed? convert it to Markdown, PDF or Word first)")
    if data.startswith(_UTF16_BOMS):  # Windows Notepad's "Unicode"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError(f"{name}: not valid UTF-16 text; save it as UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
    try:  # Chinese notes are often saved as GBK by older Windows editors
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    raise DocumentError(f"{name}:{line}: not valid UTF-8 or GBK text; save it as UTF-8")


def _pdf(name: str, data: bytes) -> Converted:
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises its own FileDataError / RuntimeError for a damaged file
        raise DocumentError(f"{name}: not a readable PDF ({exc.__class__.__name__})") from None
    with doc:
        if not doc.is_pdf:  # PyMuPDF opens an image renamed .pdf as an image
            raise DocumentError(f"{name}: not a PDF file (an image or another file renamed .pdf?)")
        if doc.needs_pass:
            raise DocumentError(f"{name}: the PDF is encrypted (password protected); save an unprotected copy")
        pages, broken = [], []
        for n in range(doc.page_count):
            try:
                pages.append(doc[n].get_text("text", sort=True))
            except Exception:  # a damaged page (MuPDF's FzError*): the others are still read
                pages.append("")
                broken.append(n + 1)
    if not any(p.strip() for p in pages):
        raise DocumentError(f"{name}: the PDF has no text layer ({len(pages)} page(s) of images only: a scan?); "
                            "run OCR on it first")
    notes = [f"page {n} cannot be read (damaged)" if n in broken else f"page {n} has no text (an image?)"
             for n, p in enumerate(pages, 1) if not p.strip()]
    # A form feed would end up in the Markdown as a control character: pages are joined by blank lines.
    return Converted("\n\n".join(p.replace("\x0c", "").strip() for p in pages), "pdf", notes[:10])


def _docx(name: str, data: bytes) -> Converted:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            unzipped = sum(i.file_size for i in infos)
            if unzipped > MAX_UNZIPPED_BYTES or unzipped > MAX_ZIP_RATIO * max(len(data), 1):
                raise DocumentError(f"{name}: unpacks to {unzipped / 1e6:.0f} MB from {len(data) / 1e6:.1f} MB "
                                    "(a zip bomb?); refused")
            if "word/document.xml" not in {i.filename for i in infos}:
                raise DocumentError(f"{name}: not a Word .docx document (no word/document.xml inside)")
    except zipfile.BadZipFile:
        raise DocumentError(f"{name}: not a Word .docx file (not a zip archive; an old .doc? save it as .docx)") \
            from None
    import mammoth

    try:
        result = mammoth.convert_to_html(io.BytesIO(data))
    except Exception as exc:  # mammoth raises KeyError/ValueError/XML errors for damaged parts
        raise DocumentError(f"{name}: the Word document cannot be read ({exc.__class__.__name__})") from None
    notes = sorted({m.message for m in result.messages if m.type == "error"})[:5]
    return Converted(html_to_markdown(result.value), "docx", notes)


def _decode_html(data: bytes) -> str:
    from bs4 import UnicodeDammit

    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    return UnicodeDammit(data, ["utf-8", "gb18030"]).unicode_markup or ""


def html_to_markdown(html: str) -> str:
    """Markdown for an HTML page or fragment: scripts, styles and embedded objects dropped with their content
    (their text is not the document's, and nothing of them must reach the page that shows an answer)."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    body = soup.body or soup
    text = MarkdownConverter(heading_style="ATX", bullets="-", strip=["img", "a"]).convert_soup(body)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
