from django.http import HttpResponse


def private_file(content: bytes, *, content_type: str, filename: str, inline: bool) -> HttpResponse:
    """A file only its owner or staff may see (security.md): never cached, never sniffed."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
