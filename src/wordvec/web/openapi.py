"""The OpenAPI 3.1 description of the explorer's HTTP API, written by hand.

``schema(limits)`` fills in the server's limits so the document states the numbers it enforces.
Every route under ``/api/`` must appear here (a test checks the app and this document agree).
"""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(ref: str, description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def schema(*, max_topn: int, max_points: int, max_body: int, version: str) -> dict[str, Any]:
    """The OpenAPI document as a JSON-ready dict."""
    word = {"type": "string", "minLength": 1, "examples": ["king"]}
    topn = {"type": "integer", "minimum": 1, "maximum": max_topn, "default": 10}
    scored = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["word", "score"],
            "properties": {"word": {"type": "string"}, "score": {"type": "number"}},
        },
    }
    bad_word = _error("A word is not in the vocabulary (the message and `word` name it)")
    invalid = _error("A parameter is out of range or of the wrong type")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wordvec explorer API",
            "version": version,
            "description": (
                "Queries over one set of word vectors: prefix search, nearest neighbours, "
                "analogies (3CosAdd and 3CosMul), raw vectors and 2-D/3-D projections (PCA, "
                "t-SNE, UMAP; cached on the server). Errors are JSON objects with an `error` "
                "message; 400 malformed JSON, 404 unknown word, 413 body over "
                f"{max_body} bytes, 422 invalid parameter."
            ),
        },
        "paths": {
            "/api/info": {
                "get": {
                    "summary": "The model: vocabulary size, dimensions, limits, methods",
                    "operationId": "info",
                    "responses": {"200": _json("Info")},
                }
            },
            "/api/autocomplete": {
                "get": {
                    "summary": "Words starting with a prefix, any case, most frequent first",
                    "operationId": "autocomplete",
                    "parameters": [
                        _query("prefix", {"type": "string", "default": ""}, "the typed prefix"),
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                            "how many words",
                        ),
                    ],
                    "responses": {"200": _json("Autocomplete"), "422": invalid},
                }
            },
            "/api/neighbours": {
                "get": {
                    "summary": "Nearest neighbours of a word by cosine similarity",
                    "operationId": "neighbours",
                    "parameters": [
                        _query("word", word, "the query word", required=True),
                        _query("topn", topn, "how many neighbours"),
                    ],
                    "responses": {
                        "200": _json("Neighbours"),
                        "404": bad_word,
                        "422": invalid,
                    },
                }
            },
            "/api/analogy": {
                "post": {
                    "summary": "a is to b as c is to ? by 3CosAdd and 3CosMul",
                    "operationId": "analogy",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/AnalogyRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Analogy"),
                        "400": _error("The body is not a JSON object"),
                        "404": bad_word,
                        "413": _error(f"The body is over {max_body} bytes"),
                        "422": invalid,
                    },
                }
            },
            "/api/vector": {
                "get": {
                    "summary": "The raw vector of a word",
                    "operationId": "vector",
                    "parameters": [_query("word", word, "the word", required=True)],
                    "responses": {"200": _json("Vector"), "404": bad_word, "422": invalid},
                }
            },
            "/api/projection": {
                "post": {
                    "summary": "2-D or 3-D coordinates of a word set (cached on the server)",
                    "description": (
                        "Give exactly one of `words`, `top` (the most frequent words) or "
                        f"`neighbours_of` (a word and its `topn` neighbours); at most {max_points} "
                        "points. t-SNE and UMAP take seconds for thousands of points; the result "
                        "is cached by (words, method, dims)."
                    ),
                    "operationId": "projection",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ProjectionRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Projection"),
                        "400": _error("The body is not a JSON object"),
                        "404": bad_word,
                        "413": _error(f"The body is over {max_body} bytes"),
                        "422": invalid,
                        "503": _error("The method's library (scikit-learn, umap-learn) is absent"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string", "description": "what was wrong"},
                        "word": {"type": "string", "description": "the unknown word, on 404"},
                    },
                },
                "Info": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "words": {"type": "integer"},
                        "dims": {"type": "integer"},
                        "max_topn": {"type": "integer"},
                        "max_points": {"type": "integer"},
                        "max_body": {"type": "integer"},
                        "methods": {
                            "type": "object",
                            "additionalProperties": {"type": "boolean"},
                            "description": "projection method -> installed",
                        },
                        "opening": {
                            "type": ["object", "null"],
                            "description": "the projection the page opens on (`top`, `method`, "
                            "`dims`: a ProjectionRequest), ready in the cache; null if none",
                        },
                        "index": {
                            "type": ["string", "null"],
                            "description": "the approximate index answering neighbours and "
                            "analogies (see wordvec.ann), or null: exact search",
                        },
                        "workers": {
                            "type": "integer",
                            "description": "threads answering queries; more requests wait",
                        },
                    },
                },
                "Autocomplete": {
                    "type": "object",
                    "properties": {
                        "prefix": {"type": "string"},
                        "words": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Neighbours": {
                    "type": "object",
                    "properties": {"word": {"type": "string"}, "neighbours": scored},
                },
                "AnalogyRequest": {
                    "type": "object",
                    "required": ["a", "b", "c"],
                    "properties": {
                        "a": word,
                        "b": word,
                        "c": word,
                        "topn": topn,
                    },
                },
                "Analogy": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "string"},
                        "b": {"type": "string"},
                        "c": {"type": "string"},
                        "cosadd": scored,
                        "cosmul": scored,
                    },
                },
                "Vector": {
                    "type": "object",
                    "properties": {
                        "word": {"type": "string"},
                        "index": {"type": "integer"},
                        "norm": {"type": "number"},
                        "vector": {"type": "array", "items": {"type": "number"}},
                    },
                },
                "ProjectionRequest": {
                    "type": "object",
                    "properties": {
                        "words": {
                            "type": "array",
                            "items": {"type": "string"},
                            "maxItems": max_points,
                        },
                        "top": {"type": "integer", "minimum": 1, "maximum": max_points},
                        "neighbours_of": word,
                        "topn": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": min(max_topn, max_points - 1),
                            "default": 50,
                        },
                        "method": {"enum": ["pca", "tsne", "umap"], "default": "pca"},
                        "dims": {"enum": [2, 3], "default": 2},
                    },
                },
                "Projection": {
                    "type": "object",
                    "properties": {
                        "method": {"type": "string"},
                        "dims": {"type": "integer"},
                        "words": {"type": "array", "items": {"type": "string"}},
                        "coords": {
                            "type": "array",
                            "items": {"type": "array", "items": {"type": "number"}},
                            "description": "one [x, y] or [x, y, z] per word",
                        },
                        "centre": {"type": ["string", "null"]},
                        "cached": {"type": "boolean"},
                        "seconds": {"type": "number"},
                    },
                },
            }
        },
    }
