#!/usr/bin/env python3
"""Writes the OpenAPI document as the .NET client generator (Kiota) is given it.

The served document narrows each operation's problem answer with an inline `allOf` that lists the problem types
(and status) that operation can return. That is right for people and for validators, but Kiota turns every such
narrowing into a class of its own (hundreds of copies of ProblemDetails, one per operation and status). For the
client the narrowing adds nothing a C# caller can use, so here each problem answer refers to the shared schema
itself, and HttpValidationProblemDetails extends ProblemDetails. The generated client then throws one exception
type, QuayGateway.Client.Models.ProblemDetails (HttpValidationProblemDetails for 400s with `errors`), whose `Type`
is the problem's stable `type` URI.

The document also wraps many references as `{"type": "object", "allOf": [{"$ref": ...}], "nullable": true}` (how
Swashbuckle says "nullable" or attaches a description in OpenAPI 3.0). Kiota makes a subclass of each such wrapper
(RegistriesPostRequestBody for CreateRegistryRequest, CreateRegistryRequest_initialUser for InitialUserRequest, a
string for an enum), so here a wrapper around a single reference is that reference. Every type is then the named
schema: PostAsync takes a CreateRegistryRequest, state is a RegistryState.

Nothing else changes: paths, operations, parameters and every other schema are the document's own.
Usage: client-document.py IN OUT
"""
import json
import sys

PROBLEM = "#/components/schemas/ProblemDetails"
VALIDATION = "#/components/schemas/HttpValidationProblemDetails"


WRAPPER_KEYS = {"allOf", "type", "nullable", "description"}


def unwrap(node):
    """Replaces each {allOf: [{$ref}]} wrapper (with at most type/nullable/description beside it) by the reference."""
    if isinstance(node, list):
        return [unwrap(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: unwrap(value) for key, value in node.items()}
    parts = node.get("allOf")
    if isinstance(parts, list) and len(parts) == 1 and set(parts[0]) == {"$ref"} and set(node) <= WRAPPER_KEYS:
        return {"$ref": parts[0]["$ref"]}
    return node


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as f:
        doc = json.load(f)

    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if not (status == "default" or status.startswith(("4", "5"))):
                    continue
                for media in (response.get("content") or {}).values():
                    schema = media.get("schema") or {}
                    refs = [part["$ref"] for part in schema.get("allOf", []) if "$ref" in part]
                    if len(refs) == 1 and refs[0] in (PROBLEM, VALIDATION):
                        media["schema"] = {"$ref": refs[0]}

    doc["paths"] = unwrap(doc.get("paths", {}))
    doc["components"] = unwrap(doc["components"])
    schemas = doc["components"]["schemas"]
    problem, validation = schemas.get("ProblemDetails"), schemas.get("HttpValidationProblemDetails")
    if problem is not None and validation is not None and "allOf" not in validation:
        own = {k: v for k, v in validation.get("properties", {}).items() if k not in problem.get("properties", {})}
        extension = {"type": "object", "properties": own}
        if "description" in validation:
            extension["description"] = validation["description"]
        schemas["HttpValidationProblemDetails"] = {"allOf": [{"$ref": PROBLEM}, extension]}

    with open(target, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
