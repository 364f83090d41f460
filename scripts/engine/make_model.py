#!/usr/bin/env python3
"""Writes a tiny random-weight Llama model (GGUF) and its BPE tokenizer (tokenizer.json).

Nothing is downloaded: the tokenizer is trained here on a corpus made from a fixed word list and a
fixed seed, and the weights are random from a fixed seed, so every machine gets the same files.
The engine then does real prefill, decode, batching and scheduling and streams garbage text; output
length is the client's to control (requests send ignore_eos, the server then runs to max_tokens).

The tokenizer is byte-level BPE with GPT-2's pre-tokenizer regex, which is what llama.cpp runs for
tokenizer.ggml.model=gpt2 / pre=gpt-2, so loadshape's --tokenizer and the server count the same tokens.
"""
import argparse
import hashlib
import json
import os
import random
import sys
from pathlib import Path

# Deterministic training: one thread, no order-dependent parallel merges.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import gguf  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402

SEED = 23
VOCAB_SIZE = 2048
N_EMBD = 256
N_LAYER = 4
N_HEAD = 4
N_HEAD_KV = 4
N_FF = 512
# Training context: the server's --ctx-size may use up to this.
CONTEXT_LENGTH = 32768
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# ChatML: llama-server renders chat requests with it (Jinja), so usage.prompt_tokens includes it.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

WORDS = """the of and to in is that for it as was with be by on not he this are or his from at which but
have an they you were her she there been one all we their has would when if so no what up out who will
more can said do about into them some could him time than its only other new two may first then any like
these our over such after also did many before must through back years where much your way well down
should because each just those people how too little state good very make world still own see men work
long get here between both life being under never day same another know while last might us great old
year off come since against go came right used take three model server token request latency prompt
output stream batch queue cache prefill decode schedule load rate phase summary document claim analyst
report engine client answer question system user assistant json schema value field number string array
object true false null lighthouse keeper river mountain city garden window letter market science history""".split()


def corpus(rng: random.Random, n_lines: int) -> list[str]:
    """English-like lines with digits, punctuation and JSON, so every common byte pair gets merges."""
    lines = []
    for i in range(n_lines):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 24))]
        words[0] = words[0].capitalize()
        line = " ".join(words) + rng.choice([".", "?", "!", ";", ":"])
        if i % 7 == 0:
            line += " " + json.dumps({rng.choice(WORDS): rng.randint(0, 9999), "ok": rng.random() < 0.5})
        if i % 11 == 0:
            line += f" {rng.randint(0, 10**6)} {rng.random():.4f}"
        lines.append(line)
    return lines


def train_tokenizer(rng: random.Random) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(rng, 20000), trainer=trainer)
    return tok


def write_gguf(tok: Tokenizer, path: Path, rng: np.random.Generator) -> None:
    spec = json.loads(tok.to_str())
    vocab: dict[str, int] = spec["model"]["vocab"]
    for added in spec["added_tokens"]:
        vocab[added["content"]] = added["id"]
    n_vocab = len(vocab)
    tokens = [""] * n_vocab
    for text, idx in vocab.items():
        tokens[idx] = text
    assert all(tokens), "token ids are not contiguous"
    special = {vocab[t] for t in SPECIAL_TOKENS}
    token_types = [gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL for i in range(n_vocab)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("loadshape-tiny-random-llama")
    w.add_context_length(CONTEXT_LENGTH)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(token_types)
    w.add_token_merges(merges)
    w.add_bos_token_id(vocab["<|endoftext|>"])
    w.add_eos_token_id(vocab["<|im_end|>"])
    w.add_eot_token_id(vocab["<|im_end|>"])
    w.add_pad_token_id(vocab["<|endoftext|>"])
    # The HF tokenizer adds no BOS either: both sides count the same prompt tokens.
    w.add_add_bos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)

    def t(name: str, *shape: int, ones: bool = False) -> None:
        # numpy shape is ggml's ne reversed: (out, in) for a matrix.
        data = np.ones(shape, np.float32) if ones else (rng.standard_normal(shape) * 0.02).astype(np.float32)
        w.add_tensor(name, data)

    t("token_embd.weight", n_vocab, N_EMBD)
    for i in range(N_LAYER):
        t(f"blk.{i}.attn_norm.weight", N_EMBD, ones=True)
        t(f"blk.{i}.attn_q.weight", N_EMBD, N_EMBD)
        t(f"blk.{i}.attn_k.weight", N_HEAD_KV * (N_EMBD // N_HEAD), N_EMBD)
        t(f"blk.{i}.attn_v.weight", N_HEAD_KV * (N_EMBD // N_HEAD), N_EMBD)
        t(f"blk.{i}.attn_output.weight", N_EMBD, N_EMBD)
        t(f"blk.{i}.ffn_norm.weight", N_EMBD, ones=True)
        t(f"blk.{i}.ffn_gate.weight", N_FF, N_EMBD)
        t(f"blk.{i}.ffn_up.weight", N_FF, N_EMBD)
        t(f"blk.{i}.ffn_down.weight", N_EMBD, N_FF)
    t("output_norm.weight", N_EMBD, ones=True)
    t("output.weight", n_vocab, N_EMBD)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tok = train_tokenizer(random.Random(SEED))
    # Written to temporary names first: setup.sh takes both files' presence as "done".
    tok_tmp = args.out / "tokenizer.json.tmp"
    gguf_tmp = args.out / "tiny-llama.gguf.tmp"
    tok.save(str(tok_tmp))
    # For the peers' tokenizer loaders (transformers' AutoTokenizer): the same tokenizer.json, as a fast tokenizer.
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|endoftext|>",
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "add_bos_token": False,
        "model_max_length": CONTEXT_LENGTH,
        "chat_template": CHAT_TEMPLATE,
    }
    (args.out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_gguf(tok, gguf_tmp, np.random.default_rng(SEED))
    gguf_tmp.replace(args.out / "tiny-llama.gguf")
    tok_tmp.replace(args.out / "tokenizer.json")
    for name in ("tokenizer.json", "tokenizer_config.json", "tiny-llama.gguf"):
        p = args.out / name
        print(f"{name}: {p.stat().st_size} bytes sha256 {hashlib.sha256(p.read_bytes()).hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
