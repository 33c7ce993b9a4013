"""Pack the asset bank small enough to carry to a GPU machine, and unpack it there.

The bank (assets.py) is about 150 MB: more than a GPU machine that cannot build it (no soundfonts,
no espeak-ng) can be sent. Packed, its audio is 8-bit mu-law (about 37 dB signal to
quantization noise on the notes, below the noise floors the recording augmentation adds) and
lzma-compressed, and each voice keeps `--phrases` of its phrases (every voice stays); everything
else is kept as it is.

    python3 -m training.world.carry pack --bank training/cache/bank.npz --out .gpu/bank.xz --phrases 12
    python3 -m training.world.carry unpack --packed .gpu/bank.xz --out /tmp/bank.npz
"""
import argparse
import io
import lzma
import os

import numpy as np

MU = 255
AUDIO = ('notes', 'speech', 'recordings')


def mu_law(x):
    """int16 samples -> uint8 mu-law codes."""
    y = x.astype(np.float32) / 32768.0
    y = np.sign(y) * np.log1p(MU * np.abs(y)) / np.log1p(MU)
    return np.round((y + 1) * 127.5).astype(np.uint8)


def from_mu_law(code):
    """uint8 mu-law codes -> int16 samples."""
    y = code.astype(np.float32) / 127.5 - 1
    x = np.sign(y) * np.expm1(np.abs(y) * np.log1p(MU)) / MU
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def fewer_phrases(speech, offsets, voice, phrases):
    """Keep each voice's first `phrases` phrases -> (speech, offsets, voice) of those alone."""
    keep = np.zeros(len(voice), bool)
    for v in np.unique(voice):
        keep[np.nonzero(voice == v)[0][:phrases]] = True
    parts = [speech[offsets[u]:offsets[u + 1]] for u in np.nonzero(keep)[0]]
    lengths = np.array([len(p) for p in parts], np.int64)
    new_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(offsets.dtype)
    return np.concatenate(parts), new_offsets, voice[keep]


def pack(bank_path, out_path, phrases=None):
    b = dict(np.load(bank_path))
    if phrases:
        b['speech'], b['speech_offsets'], b['speech_voice'] = fewer_phrases(
            b['speech'], b['speech_offsets'], b['speech_voice'], phrases)
    for k in AUDIO:
        if k in b:
            b[k] = mu_law(b[k])
    buf = io.BytesIO()
    np.savez(buf, **b)
    tmp = out_path + '.tmp'
    with lzma.open(tmp, 'wb', preset=6) as f:
        f.write(buf.getvalue())
    os.replace(tmp, out_path)


def unpack(packed_path, out_path):
    with lzma.open(packed_path, 'rb') as f:
        b = dict(np.load(io.BytesIO(f.read())))
    for k in AUDIO:
        if k in b:
            b[k] = from_mu_law(b[k])
    tmp = out_path + '.tmp.npz'
    np.savez(tmp, **b)
    os.replace(tmp, out_path)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='verb', required=True)
    p = sub.add_parser('pack')
    p.add_argument('--bank', default='training/cache/bank.npz')
    p.add_argument('--out', required=True)
    p.add_argument('--phrases', type=int, default=None, help="phrases kept per voice (default: all)")
    u = sub.add_parser('unpack')
    u.add_argument('--packed', required=True)
    u.add_argument('--out', required=True)
    args = ap.parse_args()
    if args.verb == 'pack':
        pack(args.bank, args.out, args.phrases)
    else:
        unpack(args.packed, args.out)


if __name__ == '__main__':
    main()
