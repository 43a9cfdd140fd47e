"""Documents the tests create in each format the app accepts (no file from outside the test)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

QUESTIONS = [
    (1, "What is a LEFT JOIN?", "A LEFT JOIN keeps every row of the left table; unmatched right columns are NULL."),
    (2, "What does a database index do?", "A B-tree index finds rows by value without scanning the whole table."),
    (3, "What is a transaction?", "A transaction groups statements so they commit or roll back together."),
]


def markdown(questions=QUESTIONS) -> str:
    return "# SQL notes\n\n" + "".join(f"## {n}. {title}\n\n{answer}\n\n" for n, title, answer in questions)


def pdf_bytes(pages: list[str]) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(50, 50, 550, 800), text, fontsize=10, fontname="china-s")
    out = doc.tobytes()
    doc.close()
    return out


def questions_pdf(questions=QUESTIONS) -> bytes:
    return pdf_bytes(["\n".join(f"{n}. {title}\n{answer}" for n, title, answer in questions)])


def image_only_pdf() -> bytes:
    """A 'scanned' page: a picture, no text layer."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    pixmap.clear_with(200)
    page.insert_image(pymupdf.Rect(50, 50, 250, 250), pixmap=pixmap)
    out = doc.tobytes()
    doc.close()
    return out


def encrypted_pdf() -> bytes:
    import pymupdf

    doc = pymupdf.open(stream=questions_pdf(), filetype="pdf")
    buffer = io.BytesIO()
    doc.save(buffer, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="secret")
    doc.close()
    return buffer.getvalue()


def docx_bytes(questions=QUESTIONS) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("SQL notes", level=1)
    for n, title, answer in questions:
        document.add_heading(f"{n}. {title}", level=2)
        document.add_paragraph(answer)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx() -> bytes:
    """A .docx whose document.xml inflates 1000-fold (20 MB of zeros in ~20 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


def html_page(questions=QUESTIONS) -> str:
    items = "".join(f"<h2>{n}. {title}</h2><p>{answer}</p>" for n, title, answer in questions)
    return ("<html><head><title>notes</title><script>alert('head')</script><style>p{color:red}</style></head>"
            f"<body onload=\"alert('x')\"><h1>SQL notes</h1>{items}<script>document.cookie</script>"
            "<img src=x onerror=alert(1)></body></html>")


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
