"""Sample records and the rasterise-and-decode helpers shared by the label tests."""

import pypdfium2 as pdfium
import zxingcpp

SAMPLES = {
    "location": {"barcode": "LZ1-A-01-02-3", "path": "LZ1 / A / 01 / 02 / 3",
                 "name": "冷藏区 Chilled zone"},
    "product": {"gtin": "6901234567892", "sku": "SKU-000123",
                "name_zh": "兰州牛肉面调料包", "name_en": "Lanzhou beef noodle seasoning"},
    "sscc": {"sscc": "106141412345678908",
             "ship_from": "兰州保税物流中心\nLanzhou Bonded Logistics Centre\nLanzhou New Area, Gansu",
             "ship_to": "Duisburg Gateway Terminal\nHafen Duisburg\n47119 Duisburg, DE",
             "content_gtin": "06901234567892", "count": 24, "lot": "LOT7",
             "best_before": "2026-12-31", "gross_weight_kg": 412.5},
    "parcel": {"tracking_number": "RR123456785CN", "carrier": "China Post EMS ePacket",
               "order_number": "TM20240611-0042",
               "sender": "Lanzhou Bonded Warehouse Co.\n兰州新区综合保税区 1号仓\nGansu 730087 CN",
               "consignee": "Anna Kowalska\nul. Prosta 51\n00-838 Warszawa\nPoland +48 600 000 000",
               "weight_kg": 1.25, "category": "sale of goods", "currency": "USD",
               "tracking_url": "https://track.example.cn/RR123456785CN",
               "items": [{"description": "Silk scarf 丝巾", "quantity": 2, "weight_kg": 0.3,
                          "value": 24.0, "hs_code": "621410", "origin": "CN"},
                         {"description": "Green tea 250 g", "quantity": 1, "weight_kg": 0.25,
                          "value": 12.5, "hs_code": "090210", "origin": "CN"}]},
    "air_cargo": {"airline": "China Southern Airlines Cargo", "awb": "784-12345675",
                  "origin": "LHW", "destination": "FRA", "piece": 3, "total_pieces": 12,
                  "weight_kg": 18.5, "hawb": "LZH-2024-0611"},
    "return": {"return_number": "RMA-2024-000731", "order_number": "TM20240611-0042",
               "returns_centre": "兰州保税仓 退货中心\nLanzhou Bonded Warehouse Returns\n"
                                 "Zhongchuan, Lanzhou New Area, Gansu 730087",
               "reason": "Wrong size ordered / 尺码不合适",
               "sender": "Anna Kowalska\nul. Prosta 51, 00-838 Warszawa, PL"},
    "placard": {"container": "CSQU3054383", "train_number": "X8024",
                "destination": "Małaszewicze PL", "seal": "CN2024061101",
                "origin": "Lanzhou Dongchuan", "wagon": "62345678", "departure": "2024-06-11"},
}

EXPECTED = {
    "location": ["LZ1-A-01-02-3"],
    "product": ["6901234567892"],
    "sscc": ["(00)106141412345678908"],
    "parcel": ["RR123456785CN", "https://track.example.cn/RR123456785CN"],
    "air_cargo": ["7841234567500003"],
    "return": ["RMA-2024-000731"],
    "placard": ["CSQU3054383"],
}


def rasterise(pdf: bytes, dpi: int = 300) -> list:
    """Every page of the PDF as a PIL image at ``dpi``."""
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].render(scale=dpi / 72).to_pil() for i in range(len(doc))]


def decode(image) -> list:
    """Texts of all barcodes zxing-cpp finds on the image, sorted."""
    return sorted(b.text for b in zxingcpp.read_barcodes(image))


def page_text(pdf: bytes, index: int = 0) -> str:
    doc = pdfium.PdfDocument(pdf)
    return doc[index].get_textpage().get_text_range()
