import zipfile

from odoo import http
from odoo.http import content_disposition, request


class _Stream:
    """A write-only file for ``zipfile`` whose writes are handed out as they come (a generator's chunks)."""

    def __init__(self):
        self.chunks = []
        self.position = 0

    # A file, not a model.
    def write(self, data):  # pylint: disable=method-required-super
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self):
        return self.position

    def flush(self):
        pass

    def take(self):
        chunks, self.chunks = self.chunks, []
        return b"".join(chunks)


class SalesCampaignLetters(http.Controller):
    @http.route("/sales_campaign/letters/<int:logged_id>", type="http", auth="user", methods=["GET"])
    def download_letters(self, logged_id, **kwargs):
        """The printed letters of a logged segment as one zip of its PDF parts, streamed: the parts are read
        from the file store one at a time, so a log of thousands of letters never sits in memory."""
        logged = request.env["sales.logged.segment"].browse(logged_id)
        logged.check_access("read")
        attachments = logged.letter_attachment_ids.sorted("id")
        attachments.check("read")
        filename = request.env._("Letters %(logged)s.zip", logged=logged.name)
        # Where each part is, found now: the response is streamed after the request's transaction ends.
        parts = [
            (
                attachment.name,
                attachment._full_path(attachment.store_fname) if attachment.store_fname else None,
                None if attachment.store_fname else attachment.raw,
            )
            for attachment in attachments
        ]

        def generate():
            stream = _Stream()
            with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
                for name, path, raw in parts:
                    # PDFs are compressed already: stored as they are
                    with archive.open(name, "w", force_zip64=True) as member:
                        if path:
                            with open(path, "rb") as file:
                                while chunk := file.read(1 << 20):
                                    member.write(chunk)
                                    yield stream.take()
                        else:
                            member.write(raw)
                    yield stream.take()
            yield stream.take()

        return request.make_response(
            generate(),
            headers=[("Content-Type", "application/zip"), ("Content-Disposition", content_disposition(filename))],
        )
