"""PDFs made on the server: shared copies (L6) and verification receipts (L4).

Chinese text uses reportlab's built-in CID font STSong-Light (no font file to ship); QR codes
come from segno.
"""

from __future__ import annotations

import io
import json
from datetime import date

import segno
from django.utils import translation
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from licences import presenters
from licences.links import share_url
from licences.models import Licence, Share
from portal.accounts.models import OrganisationKind
from portal.dates import local_time
from portal.responses import private_file

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _qr_image(data: str, dark: str = "#000000") -> ImageReader:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=6, border=2, dark=dark)
    buffer.seek(0)
    return ImageReader(buffer)


def _both(text_in) -> str:
    """A text in Chinese and in English (the receipt is read by both), from a function of the language."""
    with translation.override("zh-hans"):
        zh = str(text_in())
    with translation.override("en"):
        en = str(text_in())
    return zh if zh == en else f"{zh} {en}"


def _text(value) -> str:
    if value is None:
        return "长期 long-term"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _watermark(pdf: canvas.Canvas, text: str, width: float, height: float) -> None:
    pdf.saveState()
    pdf.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.12))
    pdf.setFont(FONT, 16)
    pdf.translate(width / 2, height / 2)
    pdf.rotate(30)
    for row in range(-8, 9):
        for col in range(-3, 4):
            pdf.drawCentredString(col * 200, row * 60, text)
    pdf.restoreState()


def share_pdf(*, share: Share, verify_url: str, portrait: bytes | None) -> bytes:
    licence: Licence = share.elicence.licence
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("电子驾驶证 分享件 / E-licence shared copy")
    pdf.setAuthor("e-licence portal")
    expires = local_time(share.expires_at)  # Beijing time, like every time people read
    _watermark(pdf, f"仅供{share.purpose}使用 · {expires[:10]} 前有效", width, height)
    pdf.setFillColor(HexColor("#0b5cad"))
    pdf.setFont(FONT, 20)
    pdf.drawString(20 * mm, height - 25 * mm, "机动车驾驶证 电子证件 分享件")
    pdf.setFont(FONT, 11)
    pdf.drawString(20 * mm, height - 32 * mm, "Electronic driving licence — shared copy")
    pdf.setFillColor(HexColor("#1c2430"))
    rows = [
        ("用途 Purpose", share.purpose),
        ("有效期至 Valid until", f"{expires} (北京时间 Beijing time)"),
        ("姓名 Name", licence.name),
        ("证号 Number", licence.number_masked),
        ("准驾车型 Classes", _text(licence.classes)),
        ("有效期 Validity", f"{_text(licence.valid_from)} — {_text(licence.valid_until)}"),
        ("发证机关 Issuer", licence.issuing_authority),
        ("状态 Status", licence.get_status_display()),
        ("核验码 Code", share.code),
    ]
    y = height - 50 * mm
    for label, value in rows:
        pdf.setFont(FONT, 10)
        pdf.drawString(20 * mm, y, label)
        pdf.setFont(FONT, 12)
        pdf.drawString(65 * mm, y, str(value))
        y -= 9 * mm
    if portrait:
        pdf.drawImage(ImageReader(io.BytesIO(portrait)), width - 55 * mm, height - 90 * mm, 32 * mm, 44 * mm)
    pdf.drawImage(_qr_image(verify_url), 20 * mm, y - 50 * mm, 45 * mm, 45 * mm)
    pdf.setFont(FONT, 9)
    pdf.drawString(70 * mm, y - 20 * mm, "扫码或输入核验码在线核验。本分享件过期或被撤销后失效。")
    pdf.drawString(70 * mm, y - 26 * mm, "Scan or type the code to verify online; void once expired or revoked.")
    pdf.drawString(70 * mm, y - 32 * mm, verify_url)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_lines(receipt: dict) -> list[str]:
    """What the receipt says, in Chinese and English: labels, Beijing time, no stored codes."""
    reason = receipt["reason"]
    result = "有效 VALID" if receipt["valid"] else f"无效 INVALID ({_both(lambda: presenters.result_label(reason))})"
    lines = [
        f"核验编号 Receipt id: {receipt['id']}",
        f"核验时间 Checked at: {local_time(receipt['checked_at'])} (北京时间 Beijing time)",
        f"结果 Result: {result}",
        f"需出示纸质驾驶证 Paper licence required: {'是 yes' if receipt['paper_required'] else '否 no'}",
        f"方式 Method: {_both(lambda: presenters.method_label(receipt['method']))}   "
        f"用途 Purpose: {receipt['purpose'] or '-'}",
    ]
    verifier = receipt.get("verifier")
    kind = verifier and _both(lambda: OrganisationKind(verifier["kind"]).label)
    lines.append(f"核验单位 Verifier: {verifier['organisation'] + ' (' + kind + ')' if verifier else '-'}")
    holder = receipt.get("holder") or {}
    with translation.override("zh-hans"):
        zh_rows = presenters.holder_rows(holder)
    with translation.override("en"):
        en_rows = presenters.holder_rows(holder)
    for (zh_label, value), (en_label, _en_value) in zip(zh_rows, en_rows, strict=True):
        lines.append(f"{zh_label} {en_label}: {value}")
    return lines


def receipt_pdf(*, signed: dict) -> bytes:
    receipt = signed["receipt"]
    buffer = io.BytesIO()
    _width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("电子驾驶证核验回执 / Verification receipt")
    pdf.setSubject(json.dumps(signed, ensure_ascii=False, sort_keys=True))  # machine-readable copy
    pdf.setFont(FONT, 18)
    pdf.drawString(20 * mm, height - 25 * mm, "电子驾驶证核验回执  Verification receipt")
    pdf.setFont(FONT, 11)
    lines = receipt_lines(receipt)
    y = height - 40 * mm
    for line in lines:
        pdf.drawString(20 * mm, y, line)
        y -= 8 * mm
    pdf.setFont("Courier", 7)
    y -= 6 * mm
    pdf.drawString(20 * mm, y, f"Ed25519 key {signed['key_id']}, signature:")
    signature = signed["signature"]
    for start in range(0, len(signature), 90):
        y -= 4 * mm
        pdf.drawString(20 * mm, y, signature[start : start + 90])
    pdf.setFont(FONT, 9)
    y -= 10 * mm
    pdf.drawString(20 * mm, y, "复核：将本回执的签名文档（PDF 主题字段中的 JSON）提交到 /api/v1/receipts/verify，")
    pdf.drawString(20 * mm, y - 5 * mm, "或用 /api/v1/receipts/public-key 的公钥离线验证。")
    pdf.drawString(
        20 * mm, y - 10 * mm, "Re-check: POST the signed JSON (in this PDF's Subject) to /api/v1/receipts/verify,"
    )
    pdf.drawString(20 * mm, y - 15 * mm, "or verify offline with the key at /api/v1/receipts/public-key.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def share_pdf_response(request, share: Share):
    """The shared copy as a PDF download, for its holder only (the caller has checked that)."""
    licence = share.elicence.licence
    portrait = licence.portrait.read() if licence.has_portrait else None
    content = share_pdf(share=share, verify_url=share_url(request, share.code), portrait=portrait)
    return private_file(
        content, content_type="application/pdf", filename=f"elicence-share-{share.code}.pdf", inline=False
    )


def receipt_pdf_response(signed: dict, filename: str):
    return private_file(receipt_pdf(signed=signed), content_type="application/pdf", filename=filename, inline=False)
