"""AVPC-style sound network vs the U-Net at equal parameter count and equal training budget.

    python3 -m training.experiments.compare_avpc train --net unet --minutes 30    # two runs, same data, same loss
    python3 -m training.experiments.compare_avpc train --net avpc --minutes 30    # (run them side by side: 1 thread each)
    python3 -m training.experiments.compare_avpc score --scenes 12 --out docs/eval/avpc.json

Both start from scratch with the same VisualNet, the same training scenes in the same order, the same
weighted-BCE separation loss and the same optimiser; only the sound network differs (the localization
head is left out of both, it needs the U-Net's shared features). `score` evaluates both final weights
with bss_eval on test-split scenes and records parameters, steps, seconds per step and CPU cost
per click, which is what decides what ships.
"""
import json
import os
import time

import numpy as np
import torch
from torch.utils.data import DataLoader

from .avpc import AVPCSeparator
from ..evaluate import bss, scorable
from ..nets import AppearanceModel
from ..train import WorldDataset, bank, separation_loss
from ..world.samples import make_sample
from .sound_runs import PROTOCOL, magnitudes, run_command, soft_mask_sdrs, train_run, unet_logits, write_json

NETS = ('unet', 'avpc')


def build(net):
    return AppearanceModel() if net == 'unet' else AVPCSeparator()


def sound_params(model):
    return sum(p.numel() for p in model.audio.parameters())


def mask_logits(model, front, mag, frame, pixels):
    """(B, N, 256, T) logits of the clicked pixels for either network."""
    if isinstance(model, AppearanceModel):
        return unet_logits(model, mag, frame, pixels)
    log_mag, norm = front.log_input(mag)
    return model(log_mag, frame, pixels), norm


def train(args):
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model, front = build(args.net), AppearanceModel().eval()   # front: only its warp + log front end is used

    def loss_of(batch):
        mag_mix, mag_src = magnitudes(batch)
        logits, norm = mask_logits(model, front, mag_mix, batch['frame'].float(), batch['pixels'])
        return separation_loss(logits, batch, front.warp, mag_src, norm, 'cpu')
    batches_from = lambda step: DataLoader(WorldDataset(args.bank, 'train', step * args.batch, 10 ** 9),
                                           batch_size=args.batch, num_workers=0, drop_last=True)
    step, elapsed = train_run(os.path.join(args.runs, f'avpc-compare-{args.net}'), model, batches_from, loss_of,
                              args.lr, args.steps, args.minutes)
    print(f'{args.net}: {step} steps in {elapsed / 60:.1f} min', flush=True)


@torch.no_grad()
def score(args):
    torch.set_num_threads(args.threads)
    b = bank(args.bank)
    front = AppearanceModel().eval()   # only its fixed audio front end (warp, level normalisation, log) is used
    out = {}
    for net in NETS:
        ck = torch.load(os.path.join(args.runs, f'avpc-compare-{net}', 'ckpt.pt'), map_location='cpu')
        model = build(net)
        model.load_state_dict(ck['model'])
        model.eval()
        logits_of = lambda mag, frame, cells: mask_logits(model, front, mag, frame, cells)[0]
        res = {'sound_net_params': sound_params(model), 'total_params': sum(p.numel() for p in model.parameters()),
               'steps': ck['step'], 'train_minutes': round(ck['seconds'] / 60, 1),
               'seconds_per_step': ck['seconds'] / max(1, ck['step'])}
        for kind in ('diff2', 'three'):
            sdrs, copy = [], []
            make = lambda i: make_sample(b, 'test', 100000 * (1 if kind == 'diff2' else 3) + i, kind=kind, variation='train_test')
            for s, n in scorable(make, args.scenes):
                sdrs += soft_mask_sdrs(logits_of, front.unwarp, s, n)
                copy += list(bss(s['sources'][:n], np.repeat(s['mix'][None], n, 0))[0])
            res[kind] = {'sdr_mean': float(np.mean(sdrs)), 'copy_paste': float(np.mean(copy)), 'n_sources': len(sdrs)}
        # CPU cost of one click once the mixture is analysed (single thread, one 5.94 s window)
        mag = torch.rand(1, 512, 256)
        frame = torch.rand(1, 3, 128, 224) * 255
        px = torch.zeros(1, 1, 2, dtype=torch.long)
        t0 = time.time()
        for _ in range(3):
            mask_logits(model, front, mag, frame, px)
        res['seconds_per_window_one_click'] = (time.time() - t0) / 3
        out[net] = res
        print(net, json.dumps(res), flush=True)
    out['_meta'] = {'protocol': PROTOCOL, 'scenes_per_row': args.scenes}
    if args.out:
        write_json(args.out, out)


def main(argv=None):
    def options(ap):
        ap.add_argument('--net', choices=NETS, default='unet')
        ap.add_argument('--minutes', type=float, default=30)
    run_command(train, score, options, steps=10 ** 9, argv=argv)


if __name__ == '__main__':
    main()
