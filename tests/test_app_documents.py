"""The Documents tab through the running app (gradio_client): an upload is searchable by the next question, its ids
open in Lookup and are cited in Chat, and a removal takes them out again — no restart."""
from __future__ import annotations

import os

import pytest

from tests import documents_maker as make
from tests.fixtures_app import running_app

COOKING = make.markdown([(1, "How long does fresh pasta boil?", "Fresh egg pasta boils in two to three minutes."),
                         (2, "Why is pasta water salted?", "Salt seasons the pasta from the inside.")])


@pytest.mark.slow
def test_upload_lookup_chat_and_remove_through_the_app(tmp_path):
    from gradio_client import Client, handle_file

    before = os.environ.get("KBCHAT_DATA_DIR")
    os.environ["KBCHAT_DATA_DIR"] = str(tmp_path / "data")  # the app inherits it: a data folder of its own
    try:
        with running_app() as url:
            client = Client(url, verbose=False)
            files = [handle_file(str(make.write(tmp_path, "kitchen.md", COOKING))),
                     handle_file(str(make.write(tmp_path, "scan.pdf", make.image_only_pdf())))]
            report, listing, *_ = client.predict(files, "", api_name="/documents_add")
            assert "kitchen.md: added as 'kitchen'" in report and "scan.pdf: the PDF has no text layer" in report
            assert "| kitchen | K… |" in listing
            assert "two to three minutes" in client.predict("K1", api_name="/lookup")
            *_, answer = client.predict("How long does fresh pasta boil?", api_name="/chat")
            assert "K1" in answer["citations"] and not answer["refused"]
            report, listing, *_ = client.predict("kitchen", api_name="/documents_remove")
            assert "removed" in report and "There is no question" in client.predict("K1", api_name="/lookup")
    finally:
        if before is None:
            os.environ.pop("KBCHAT_DATA_DIR", None)
        else:
            os.environ["KBCHAT_DATA_DIR"] = before
