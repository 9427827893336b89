from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceKind(models.TextChoices):
    """Devices that hold data and so need a disposal certificate."""

    PC = "pc", _("PC")
    SERVER = "server", _("Server")
    DISK = "disk", _("HDD/SSD")
    USB_MEMORY = "usb_memory", _("USB memory")
    MULTIFUNCTION_PRINTER = "mfp", _("Multifunction printer")
    MOBILE = "mobile", _("Smartphone/tablet")
    OTHER = "other", _("Other")


class DisposalStatus(models.TextChoices):
    """Where a disposal stands; derived from its dates and certificate, never stored."""

    PLANNED = "planned", _("Planned")
    CERTIFICATE_MISSING = "missing", _("Disposed — certificate missing")
    COMPLETE = "complete", _("Complete")


# The words sheets use for each kind; the first is written on export.
SHEET_KIND = {
    "パソコン": DeviceKind.PC,
    "PC": DeviceKind.PC,
    "パーソナルコンピュータ": DeviceKind.PC,
    "ノートPC": DeviceKind.PC,
    "ノートパソコン": DeviceKind.PC,
    "デスクトップPC": DeviceKind.PC,
    "端末": DeviceKind.PC,
    "サーバ": DeviceKind.SERVER,
    "サーバー": DeviceKind.SERVER,
    "HDD・SSD": DeviceKind.DISK,
    "HDD/SSD": DeviceKind.DISK,
    "HDD": DeviceKind.DISK,
    "SSD": DeviceKind.DISK,
    "ハードディスク": DeviceKind.DISK,
    "外付けHDD": DeviceKind.DISK,
    "USBメモリ": DeviceKind.USB_MEMORY,
    "USBメモリー": DeviceKind.USB_MEMORY,
    "USB": DeviceKind.USB_MEMORY,
    "複合機": DeviceKind.MULTIFUNCTION_PRINTER,
    "コピー機": DeviceKind.MULTIFUNCTION_PRINTER,
    "複写機": DeviceKind.MULTIFUNCTION_PRINTER,
    "スマートフォン・タブレット": DeviceKind.MOBILE,
    "スマートフォン": DeviceKind.MOBILE,
    "スマホ": DeviceKind.MOBILE,
    "タブレット": DeviceKind.MOBILE,
    "携帯電話": DeviceKind.MOBILE,
    "その他": DeviceKind.OTHER,
}
KIND_WORD = {kind: word for word, kind in reversed(SHEET_KIND.items())}
