"""A click on a real picture against a name, for a real voice over an instrument never heard.

    bash test/fixtures/real/fetch-material.sh      # real photographs and a real voice (Debian packages)
    python3 -m training.experiments.real_pictures --weights training/runs/appearance-cq/best.pt \
        --out docs/eval/real-pictures.json

The voice is speaker-test's recording (alsa-utils: "Front Center", "Front Left", ...), the pictures
kphotoalbum's demo photographs of people; neither was ever in training. The instrument is the first
source of unseen-variation test scenes (csound's GM bank, held out of all training), scaled to the
voice's level. Each mixture is separated three ways: by clicks on the photograph (six random grid
cells, as a user's click on a real face gives the network pixel features it never learned), by
class name alone ('speaker' and the instrument's class), and copy-paste (the mixture itself).
This is what the app's query does on real footage: names, not pixels.
"""
import argparse
import json
import os
from math import gcd

import mir_eval
import numpy as np
import torch
from PIL import Image
from scipy.io import wavfile
from scipy.signal import resample_poly

from .. import audio as A
from ..nets import IMG_H, IMG_W, AppearanceModel
from ..train import bank
from ..world.classes import CLASSES
from ..world.samples import make_sample

VOICE = ['Front_Center.wav', 'Front_Left.wav', 'Rear_Right.wav', 'Side_Left.wav']
PHOTOS = ['bar55_2.jpg', 'jesper_2.jpg']


def load_mono(path):
    sr, x = wavfile.read(path)
    x = x.astype(np.float32) / (32768 if x.dtype == np.int16 else 1)
    x = x.mean(1) if x.ndim > 1 else x
    g = gcd(sr, A.SR)
    return resample_poly(x, A.SR // g, sr // g).astype(np.float32)


def sdr(ref, est):
    return float(mir_eval.separation.bss_eval_sources(ref[None], est[None], compute_permutation=False)[0][0])


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--material', default='test/fixtures/real/material')
    ap.add_argument('--bank', default='training/cache/bank.npz')
    ap.add_argument('--scenes', type=int, default=6)
    ap.add_argument('--out', default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = AppearanceModel().load_weights(torch.load(args.weights, map_location='cpu')['model']).eval()
    L = A.WIN_SAMPLES
    voice = np.concatenate([load_mono(os.path.join(args.material, f)) for f in VOICE])
    voice = np.pad(voice, (0, max(0, L - len(voice))))[:L]
    b = bank(args.bank)
    window = torch.hann_window(A.N_FFT, periodic=True)
    speaker = model.class_queries[CLASSES.index('speaker')]
    rows = []
    for i in range(args.scenes):
        s = make_sample(b, 'test', 300000 + i, kind='diff2', variation='unseen')
        cls, instr = int(s['classes'][0]), s['sources'][0]
        if CLASSES[cls] == 'speaker' or not np.any(instr):
            continue
        instr = instr * np.sqrt((voice ** 2).mean() / ((instr ** 2).mean() + 1e-12))
        mix = voice + instr
        spec = torch.stft(torch.from_numpy(mix)[None], A.N_FFT, A.HOP, window=window, center=True,
                          pad_mode='reflect', return_complex=True)
        feats, _ = model.audio_features(spec.abs())

        def separate(queries):
            masks = torch.einsum('fw,bnwt->bnft', model.unwarp, torch.sigmoid(model.synth(queries[None], feats)))[0]
            return torch.istft(spec * masks, A.N_FFT, A.HOP, window=window, center=True, length=L).numpy()

        by_name = separate(torch.stack([speaker, model.class_queries[cls]]))
        row = {'instrument': CLASSES[cls], 'copy_paste_speaker': sdr(voice, mix), 'copy_paste_instrument': sdr(instr, mix),
               'name_speaker': sdr(voice, by_name[0]), 'name_instrument': sdr(instr, by_name[1])}
        clicks_v, clicks_i = [], []
        for photo in PHOTOS:
            img = Image.open(os.path.join(args.material, photo)).convert('RGB').resize((IMG_W, IMG_H), Image.BICUBIC)
            vis = model.visual(torch.from_numpy(np.asarray(img).transpose(2, 0, 1)[None].astype(np.float32)))
            cells = vis[0].reshape(vis.shape[1], -1).T
            pick = torch.randperm(cells.shape[0], generator=torch.Generator().manual_seed(i))[:6]
            for est in separate(cells[pick]):
                clicks_v.append(sdr(voice, est))
                clicks_i.append(sdr(instr, est))
        row['click_speaker'], row['click_instrument'] = float(np.mean(clicks_v)), float(np.mean(clicks_i))
        rows.append(row)
        print({k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    keys = [k for k in rows[0] if k != 'instrument']
    summary = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    print('mean over', len(rows), 'mixtures:', {k: round(v, 2) for k, v in summary.items()})
    if args.out:
        with open(args.out + '.tmp', 'w') as f:
            json.dump({'mean': summary, 'mixtures': rows, '_meta': {'voice': VOICE, 'photos': PHOTOS,
                       'clicks': '6 random grid cells per photograph', 'weights': args.weights}}, f, indent=2)
        os.replace(args.out + '.tmp', args.out)


if __name__ == '__main__':
    main()
