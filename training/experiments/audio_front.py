"""The appearance stage's input normalization and mask head, each changed alone, against the
shipped form: which generalizes better to material never trained on? Three runs from scratch, the
same VisualNet and U-Net, the same wide training scenes in the same order, the same optimiser and
steps; they differ only in

  shipped     the input is the warped magnitude over its mean (the file's level taken out); a
              binary mask (the loudest source owns a bin), weighted BCE, as Sound of Pixels
  bin-norm    every warped bin over its own mean across the window: the level and any fixed
              colouring (a microphone's or a room's EQ) taken out; the same mask and loss
  ratio-mask  the shipped input; the sigmoid read as a ratio mask (a source's share of the
              mixture's magnitude, at most 1), weighted L1, Sound of Pixels' other choice
  deeper      the shipped input, mask and loss; the audio U-Net nearly twice as deep (a residual
              3x3 convolution more at every level, down and up), its width unchanged

    python3 -m training.experiments.audio_front train --variant shipped --steps 900 &     # side by side,
    python3 -m training.experiments.audio_front train --variant bin-norm --steps 900 &    # 1 thread each
    python3 -m training.experiments.audio_front train --variant ratio-mask --steps 900
    python3 -m training.experiments.audio_front train --variant deeper --steps 900 --threads 2
    python3 -m training.experiments.audio_front score --scenes 12 --out docs/eval/audio-front.json

Runs resume from their checkpoint (training/runs/audio-front-<variant>/ckpt.pt, model and Adam
state, saved every 50 steps). `score` runs each final network on test-split scenes of the wide
material (the test seeds) and of the held-out, unseen and real variations, soft masks, bss_eval
SDR; the held-out columns against the first are the answer. Results: docs/models.md, "Another
input normalization, another mask head, a deeper audio network".
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from ..evaluate import scorable
from ..nets import AppearanceModel, AudioUNet
from ..train import WorldDataset, bank, separation_loss
from ..world.samples import make_sample
from .sound_runs import PROTOCOL, magnitudes, run_command, soft_mask_sdrs, train_run, unet_logits, write_json

VARIANTS = ('shipped', 'bin-norm', 'ratio-mask', 'deeper')
SCORE_VARIATIONS = ('wide', 'heldout', 'unseen', 'real')
SCORE_KINDS = ('diff2', 'speech_inst', 'three')


class BinNormModel(AppearanceModel):
    """The network's input: each warped bin over its mean across the window. The loss weights stay
    the shipped level-normalised magnitude, so only what the network sees differs."""

    def log_input(self, mag):
        _, norm = super().log_input(mag)
        # The shipped input over its mean per bin: the level it was already divided by cancels.
        per_bin = norm / (norm.mean(dim=3, keepdim=True) + 1e-8)
        return torch.log(per_bin + 1e-3), norm


class Residual(nn.Module):
    """x + a 3x3 convolution of x at the same size and width (pre-activated, batch-normalised)."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return x + self.bn(self.conv(F.leaky_relu(x, 0.2)))


class DeeperAudioUNet(AudioUNet):
    """The shipped U-Net with a residual 3x3 convolution after every down and every up block:
    26 convolutions against 14, the same channels at every level."""

    def __init__(self, ngf=16, levels=7):
        super().__init__(ngf=ngf, levels=levels)
        self.down_extra = nn.ModuleList(Residual(d.conv.out_channels) for d in self.downs)
        self.up_extra = nn.ModuleList(Residual(u.conv.out_channels) for u in self.ups)

    def forward(self, log_mag):
        x = self.first(self.bn0(log_mag))
        skips = [x]
        for down, extra in zip(self.downs, self.down_extra):
            x = extra(down(x))
            skips.append(x)
        skips.pop()
        for up, extra in zip(self.ups, self.up_extra):
            x = torch.cat([extra(up(x)), skips.pop()], 1)
        x = F.interpolate(F.relu(x), scale_factor=2, mode='nearest')
        return self.last(x)


def build(variant):
    if variant == 'bin-norm':
        return BinNormModel()
    model = AppearanceModel()
    if variant == 'deeper':
        model.audio = DeeperAudioUNet()
    return model


def ratio_mask_loss(logits, batch, warp, mag_src, norm, device):
    """Weighted L1 between the sigmoid and each source's share of the mixture's warped magnitude
    (at most 1); the background pixel's target is empty. The weights are separation_loss's."""
    valid = batch['valid'].to(device)
    src = torch.einsum('wf,bnft->bnwt', warp, mag_src) * valid[:, :, None, None]
    ratio = (src / (src.sum(1, keepdim=True) + 1e-8)).clamp(max=1)
    ratio = torch.cat([ratio, torch.zeros_like(ratio[:, :1])], 1)
    weight = torch.clamp(torch.log1p(norm), 1e-3, 10.0)
    row_w = torch.cat([valid, torch.ones_like(valid[:, :1])], 1)[:, :, None, None]
    l1 = (torch.sigmoid(logits) - ratio).abs()
    return (l1 * weight * row_w).sum() / (weight * row_w).expand_as(l1).sum()


def train_step(model, variant, batch):
    """The loss of one batch (sources, mixture, frame and clicked pixels as WorldDataset gives)."""
    mag_mix, mag_src = magnitudes(batch)
    logits, norm = unet_logits(model, mag_mix, batch['frame'].float(), batch['pixels'])
    loss = ratio_mask_loss if variant == 'ratio-mask' else separation_loss
    return loss(logits, batch, model.warp, mag_src, norm, 'cpu')


def train(args):
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = build(args.variant)
    # The same scenes in the same order for every variant (and on resuming).
    batches_from = lambda step: DataLoader(
        WorldDataset(args.bank, 'train', 2 * 10 ** 7 + step * args.batch, 10 ** 9, variation='wide'),
        batch_size=args.batch, num_workers=args.workers, drop_last=True)
    step, elapsed = train_run(os.path.join(args.runs, f'audio-front-{args.variant}'), model, batches_from,
                              lambda batch: train_step(model, args.variant, batch), args.lr, args.steps,
                              extra={'variant': args.variant})
    print(f'{args.variant}: {step} steps in {elapsed / 60:.1f} min', flush=True)


@torch.no_grad()
def score(args):
    torch.set_num_threads(args.threads)
    b = bank(args.bank)
    out = {}
    for variant in args.variants.split(','):
        ck = torch.load(os.path.join(args.runs, f'audio-front-{variant}', 'ckpt.pt'), map_location='cpu')
        model = build(variant)
        model.load_state_dict(ck['model'])
        model.eval()
        logits_of = lambda mag, frame, cells: unet_logits(model, mag, frame, cells)[0]
        res = {'steps': ck['step'], 'train_minutes': round(ck['seconds'] / 60, 1), 'per_source': {}}
        for variation in SCORE_VARIATIONS:
            for k, kind in enumerate(SCORE_KINDS):
                sdrs = []
                make = lambda i: make_sample(b, 'test', 300000 + 1000 * k + i, kind=kind, variation=variation)
                for s, n in scorable(make, args.scenes):
                    sdrs += soft_mask_sdrs(logits_of, model.unwarp, s, n)
                res[f'{variation}/{kind}'] = float(np.nanmean(sdrs))
                res['per_source'][f'{variation}/{kind}'] = [float(x) for x in sdrs]   # the same scenes for every variant: pair them
        out[variant] = res
        print(variant, json.dumps({k: v for k, v in res.items() if k != 'per_source'}), flush=True)
    out['_meta'] = {'protocol': PROTOCOL, 'scenes_per_cell': args.scenes}
    if args.out:
        write_json(args.out, out)


def main(argv=None):
    def options(ap):
        ap.add_argument('--variant', choices=VARIANTS, default='shipped')
        ap.add_argument('--variants', default=','.join(VARIANTS), help='score: the runs to score')
        ap.add_argument('--workers', type=int, default=0)
    run_command(train, score, options, steps=900, argv=argv)


if __name__ == '__main__':
    main()
