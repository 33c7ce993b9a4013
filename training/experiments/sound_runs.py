"""What the comparisons of sound networks share: a resumable training run that stops at a number of
steps or minutes, the soft-mask SDR of one scene's clicked sources, and the command line both take."""
import argparse
import json
import os
import time

import torch

from .. import audio as A
from ..evaluate import bss, click_cells, istft
from ..train import gather_pixels
from ..world.samples import GRID_H, GRID_W, MAX_SOURCES


def magnitudes(batch):
    """The mixture's STFT magnitude (B, 512, T) and each source's (B, MAX_SOURCES, 512, T)."""
    mix, src = batch['mix'], batch['sources']
    mag_mix = A.stft_mag(mix)
    return mag_mix, A.stft_mag(src.flatten(0, 1)).view(mix.shape[0], MAX_SOURCES, *mag_mix.shape[1:])


def unet_logits(model, mag, frame, pixels):
    """An appearance model's (B, N, 256, T) logits at the clicked pixels, and the level-normalised
    warped magnitude."""
    feats, norm = model.audio_features(mag)
    return model.synth(gather_pixels(model.visual(frame), pixels), feats), norm


def train_run(run, model, batches_from, loss_of, lr, steps, minutes=float('inf'), extra=None):
    """Adam(W) on loss_of(batch) over batches_from(step) (the scenes from that step on, so that a
    resumed run sees what it would have seen), warm-up over 100 steps, gradients clipped at 5;
    resumes from run/ckpt.pt (model, Adam's state, step, seconds) and saves it every 50 steps and at
    the end; logs the running loss every 10 steps to run/log.jsonl."""
    os.makedirs(run, exist_ok=True)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    step, elapsed = 0, 0.0
    ck_path = os.path.join(run, 'ckpt.pt')
    if os.path.exists(ck_path):
        ck = torch.load(ck_path, map_location='cpu')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        step, elapsed = ck['step'], ck['seconds']
    log = open(os.path.join(run, 'log.jsonl'), 'a')

    def save():
        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step, 'seconds': elapsed,
                    **(extra or {})}, ck_path + '.tmp')
        os.replace(ck_path + '.tmp', ck_path)

    model.train()
    t_start, run_loss = time.time() - elapsed, None
    for batch in batches_from(step):
        if step >= steps or elapsed >= minutes * 60:
            break
        for g in opt.param_groups:
            g['lr'] = lr * min(1.0, (step + 1) / 100)
        loss = loss_of(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        elapsed = time.time() - t_start
        run_loss = loss.item() if run_loss is None else 0.95 * run_loss + 0.05 * loss.item()
        if step % 10 == 0:
            log.write(json.dumps({'step': step, 'minutes': round(elapsed / 60, 2), 'loss': run_loss}) + '\n')
            log.flush()
        if step % 50 == 0:
            save()
    save()
    return step, elapsed


def run_command(train, score, add_options, steps, argv=None):
    """Parse `train|score` and the options every comparison takes (plus add_options(parser)'s own),
    then run train(args) or score(args)."""
    ap = argparse.ArgumentParser()
    ap.add_argument('command', choices=['train', 'score'])
    add_options(ap)
    ap.add_argument('--runs', default='training/runs')
    ap.add_argument('--bank', default='training/cache/bank.npz')
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--steps', type=int, default=steps)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--scenes', type=int, default=12)
    ap.add_argument('--out', default=None)
    args = ap.parse_args(argv)
    train(args) if args.command == 'train' else score(args)


PROTOCOL = 'bss_eval_sources (mir_eval), test-split scenes, soft masks, 11025 Hz mono'
_WINDOW = torch.hann_window(A.N_FFT, periodic=True)


def soft_mask_sdrs(logits_of, unwarp, sample, n):
    """bss_eval SDR of each of the first n sources of a scene, clicked at their boxes' centres and
    separated with the soft masks sigmoid(logits_of(magnitude, frame, cells)) (warped bins)."""
    mix = torch.from_numpy(sample['mix'])[None]
    spec = torch.stft(mix, A.N_FFT, A.HOP, window=_WINDOW, center=True, pad_mode='reflect', return_complex=True)
    cells = torch.from_numpy(click_cells(sample['boxes'][:n], GRID_H, GRID_W))[None]
    logits = logits_of(spec.abs(), torch.from_numpy(sample['frame'])[None].float(), cells)
    masks = torch.einsum('fw,bnwt->bnft', unwarp, torch.sigmoid(logits))[0]
    return list(bss(sample['sources'][:n], istft(spec * masks, mix.shape[-1]).numpy())[0])


def write_json(path, data):
    """`data` to `path`, whole or not at all."""
    with open(path + '.tmp', 'w') as f:
        json.dump(data, f, indent=2)
    os.replace(path + '.tmp', path)
