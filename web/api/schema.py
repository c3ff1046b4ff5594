"""Request and response schemas declared once: they validate input and describe the API.

Because the OpenAPI document is generated from these same declarations, it cannot drift
from what the endpoints accept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wms.core.errors import N_, ValidationError
from wms.core.parsing import INT_MAX, check_text

# Bounds a field has unless it declares its own: integers fit PostgreSQL's ``integer`` (ids,
# counts), numbers the quantity columns (``Numeric(14, 4)``), so no value overflows a column.
INTEGER_RANGE = (-INT_MAX - 1, INT_MAX)
NUMBER_RANGE = (-10_000_000_000, 10_000_000_000)
MAX_ITEMS = 10_000

JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
              "array": list, "object": dict}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    description: str = ""
    enum: tuple[str, ...] | None = None
    items: Any = None  # a type name, or a Schema for arrays of objects
    max_length: int | None = None
    nullable: bool = False
    minimum: int | float | None = None
    maximum: int | float | None = None
    max_items: int | None = None

    def bounds(self) -> tuple[int | float, int | float] | None:
        default = {"integer": INTEGER_RANGE, "number": NUMBER_RANGE}.get(self.type)
        if default is None:
            return None
        low = default[0] if self.minimum is None else self.minimum
        high = default[1] if self.maximum is None else self.maximum
        return low, high

    def openapi(self) -> dict:
        if isinstance(self.items, Schema):
            spec: dict = {"type": "array", "items": {"$ref": self.items.ref}}
        elif self.type == "array":
            spec = {"type": "array", "items": {"type": self.items or "string"}}
            if self.enum:
                spec["items"]["enum"] = list(self.enum)
        else:
            spec = {"type": [self.type, "null"] if self.nullable else self.type}
            if self.enum:
                spec["enum"] = list(self.enum)
            if self.max_length:
                spec["maxLength"] = self.max_length
            if self.bounds():
                spec["minimum"], spec["maximum"] = self.bounds()
        if self.type == "array":
            spec["maxItems"] = self.max_items or MAX_ITEMS
        if self.description:
            spec["description"] = self.description
        return spec


@dataclass(frozen=True)
class Schema:
    name: str
    fields: tuple[Field, ...]
    description: str = ""
    registry: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def ref(self) -> str:
        return f"#/components/schemas/{self.name}"

    def openapi(self) -> dict:
        return {
            "type": "object",
            "description": self.description,
            "properties": {f.name: f.openapi() for f in self.fields},
            "required": [f.name for f in self.fields if f.required],
            "additionalProperties": False,
        }

    def validate(self, data: Any, path: str = "") -> dict:
        """Check types, required and allowed fields; the error names the field's path."""
        if not isinstance(data, dict):
            raise ValidationError(N_("Expected a JSON object"), field=path or None)
        known = {f.name for f in self.fields}
        for key in data:
            if key not in known:
                raise ValidationError(N_("Unknown field"), field=f"{path}{key}")
        clean: dict = {}
        for f in self.fields:
            name = f"{path}{f.name}"
            if f.name not in data or data[f.name] is None:
                if f.required:
                    raise ValidationError(N_("This field is required"), field=name)
                continue
            value = data[f.name]
            expected = JSON_TYPES[f.type]
            if not isinstance(value, expected) or (f.type in ("integer", "number")
                                                   and isinstance(value, bool)):
                raise ValidationError(N_("Expected %(type)s"), field=name, type=f.type)
            if isinstance(value, str):
                check_text(value, name)
            if f.bounds() and not (f.bounds()[0] <= value <= f.bounds()[1]):
                raise ValidationError(N_("Must be between %(min)s and %(max)s"), field=name,
                                      min=f.bounds()[0], max=f.bounds()[1])
            if f.type == "array" and len(value) > (f.max_items or MAX_ITEMS):
                raise ValidationError(N_("At most %(n)s items"), field=name,
                                      n=f.max_items or MAX_ITEMS)
            if f.enum and f.type != "array" and value not in f.enum:
                raise ValidationError(N_("Must be one of: %(values)s"), field=name,
                                      values=", ".join(f.enum))
            if f.max_length and isinstance(value, str) and len(value) > f.max_length:
                raise ValidationError(N_("At most %(n)s characters"), field=name,
                                      n=f.max_length)
            if f.type == "array":
                for i, item in enumerate(value):
                    if isinstance(f.items, Schema):
                        value[i] = f.items.validate(item, f"{name}[{i}].")
                    elif not isinstance(item, JSON_TYPES[f.items or "string"]):
                        raise ValidationError(N_("Expected %(type)s"), field=f"{name}[{i}]",
                                              type=f.items or "string")
                    elif f.enum and item not in f.enum:
                        raise ValidationError(N_("Must be one of: %(values)s"),
                                              field=f"{name}[{i}]", values=", ".join(f.enum))
                    elif isinstance(item, str):
                        check_text(item, f"{name}[{i}]")
            clean[f.name] = value
        return clean


ERROR = Schema("Error", (
    Field("error", "object", True, "code: stable machine code; message: translated text; "
          "field: the input field to blame, or null"),
))
