"""Train the appearance stage and localization head on the synthetic world (CPU or CUDA).

    python3 -m training.train --run training/runs/appearance --minutes 600

Resumable: the run folder keeps ckpt.pt (weights + optimizer + step) and best.pt (weights with the
best validation SDR); log.jsonl holds the curves that docs/models.md plots. Scenes are generated on
the fly from the asset bank (python3 -m training.world.assets), so no data set is stored.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from .audio import HOP, N_FFT, stft_mag
from .nets import AppearanceModel, audio_width_of
from .schedule import add_decay_arguments, learning_rate, time_progress
from .world.samples import MAX_SOURCES, make_sample
from .world.scene import Bank

_BANK = {}


def bank(path):
    if path not in _BANK:
        _BANK[path] = Bank(path)
    return _BANK[path]


class WorldDataset(Dataset):
    def __init__(self, bank_path, split, start, length, kind=None, variation=None):
        self.bank_path, self.split, self.start, self.length = bank_path, split, start, length
        self.kind, self.variation = kind, variation

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        s = make_sample(bank(self.bank_path), self.split, self.start + i, self.kind, self.variation)
        s.pop('kind')
        return {k: torch.from_numpy(np.asarray(v)) for k, v in s.items()}


def gather_pixels(vis, pixels):
    """vis (B, K, h, w), pixels (B, N, 2) as (gy, gx) -> (B, N, K)."""
    b, k, h, w = vis.shape
    flat = vis.flatten(2)
    idx = (pixels[..., 0] * w + pixels[..., 1]).unsqueeze(1).expand(b, k, pixels.shape[1])
    return flat.gather(2, idx).transpose(1, 2)


def loudest_source_masks(warp, mag_src, valid):
    """AMnet's Eq. 5 targets on the log-frequency grid: a source owns a bin where it is the loudest.
    mag_src (B, N, bins, T) linear magnitudes, valid (B, N) -> (B, N, 256, T) in {0, 1}."""
    warped = torch.einsum('wf,bnft->bnwt', warp, mag_src)
    warped = warped + (1 - valid)[:, :, None, None] * -1.0  # padded sources never win
    best = warped.max(dim=1, keepdim=True).values
    return ((warped >= best) & (warped > 1e-6)).float() * valid[:, :, None, None]


def separation_loss(logits, batch, warp, mag_src, norm, device, named_only=None):
    """Sound of Pixels' weighted BCE against AMnet's Eq. 5 binary masks (a source owns a bin where it
    is the loudest); logits (B, N+1, 256, T) with the background pixel last (its target is empty).
    named_only (B, N): rows queried by class alone; their target is every source of that class
    (a name cannot tell two guitars apart)."""
    valid = batch['valid'].to(device)
    gt = loudest_source_masks(warp, mag_src, valid)
    if named_only is not None:
        cls = batch['classes'].to(device)
        same = ((cls[:, :, None] == cls[:, None, :]) & (cls[:, None, :] >= 0)).float()
        union = torch.einsum('bij,bjft->bift', same, gt).clamp(max=1)
        gt = torch.where(named_only[:, :, None, None] > 0, union, gt)
    gt = torch.cat([gt, torch.zeros_like(gt[:, :1])], 1)            # background pixel -> empty mask
    weight = torch.clamp(torch.log1p(norm), 1e-3, 10.0)              # Sound of Pixels' weighting
    row_w = torch.cat([valid, torch.ones_like(valid[:, :1])], 1)[:, :, None, None]
    bce = F.binary_cross_entropy_with_logits(logits, gt, reduction='none')
    return (bce * weight * row_w).sum() / (weight * row_w).expand_as(bce).sum()


def query_modes(b, n, device, mode):
    """(use_visual, use_class), each (B, N+1): 'visual' (a click), 'class' (a name), or 'mixed' for
    training: half the sources by click, a quarter by click and name, a quarter by name alone. The
    background pixel (last row) is always a click."""
    if mode == 'visual':
        vis, cls = torch.ones(b, n + 1), torch.zeros(b, n + 1)
    elif mode == 'class':
        vis, cls = torch.zeros(b, n + 1), torch.ones(b, n + 1)
    else:
        u = torch.rand(b, n + 1)
        vis, cls = (u < 0.75).float(), (u >= 0.5).float()
    vis[:, -1], cls[:, -1] = 1, 0
    return vis.to(device), cls.to(device)


def forward_batch(model, batch, device, queries='visual'):
    """Returns dict of losses and intermediate tensors for one batch; queries: see query_modes."""
    mix = batch['mix'].to(device)
    src = batch['sources'].to(device)
    valid = batch['valid'].to(device)
    b = mix.shape[0]
    mag_mix = stft_mag(mix)
    mag_src = stft_mag(src.flatten(0, 1)).view(b, MAX_SOURCES, *mag_mix.shape[1:])
    feats, norm = model.audio_features(mag_mix)
    vis = model.visual(batch['frame'].to(device).float())
    v = gather_pixels(vis, batch['pixels'].to(device))             # (B, N+1, K)
    use_vis, use_cls = query_modes(b, MAX_SOURCES, device, queries)
    classes = torch.cat([batch['classes'].to(device), torch.full((b, 1), -1, device=device)], 1)
    q = model.query(v, classes, use_vis, use_cls)
    logits = model.synth(q, feats)                                   # (B, N+1, 256, T)
    named_only = (use_cls * (1 - use_vis))[:, :MAX_SOURCES]
    loss_sep = separation_loss(logits, batch, model.warp, mag_src, norm, device, named_only)
    pooled = model.loc.pool_audio(feats, norm, batch['span'].to(device).unsqueeze(1))
    loc_logits = model.loc(vis, pooled)[:, 0]
    loc_gt = batch['loc'].to(device)
    loss_loc = F.binary_cross_entropy_with_logits(loc_logits, loc_gt, pos_weight=torch.tensor(4.0, device=device))
    return {'loss_sep': loss_sep, 'loss_loc': loss_loc, 'logits': logits, 'loc_logits': loc_logits,
            'mag_mix': mag_mix}


def separate_wave(model, mix, logits):
    """Soft-mask separation of (B, L) mixtures given warped mask logits (B, N, 256, T)."""
    window = torch.hann_window(N_FFT, periodic=True, device=mix.device)
    spec = torch.stft(mix, N_FFT, HOP, window=window, center=True, pad_mode='reflect', return_complex=True)
    masks = torch.einsum('fw,bnwt->bnft', model.unwarp, torch.sigmoid(logits))
    est = spec.unsqueeze(1) * masks
    b, n = est.shape[:2]
    wav = torch.istft(est.flatten(0, 1), N_FFT, HOP, window=window, center=True, length=mix.shape[-1])
    return wav.view(b, n, -1)


def sdr(ref, est):
    """Plain SDR in dB (fast proxy for validation; the real scores use bss_eval in evaluate.py)."""
    num = (ref ** 2).sum(-1)
    den = ((ref - est) ** 2).sum(-1)
    return 10 * torch.log10((num + 1e-9) / (den + 1e-9))


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    sdrs, named, locs = [], [], []
    for batch in loader:
        ref = batch['sources'].to(device)
        valid = batch['valid'].to(device) > 0
        active = valid & (ref.pow(2).mean(-1) > 1e-6)
        if model.class_queries.abs().sum() > 0:  # sources asked for by name (val scenes: one per class)
            by_name = forward_batch(model, batch, device, queries='class')
            wav = separate_wave(model, batch['mix'].to(device), by_name['logits'][:, :MAX_SOURCES])
            named.append(sdr(ref, wav)[active].cpu())
        out = forward_batch(model, batch, device)
        wav = separate_wave(model, batch['mix'].to(device), out['logits'][:, :MAX_SOURCES])
        sdrs.append(sdr(ref, wav)[active].cpu())
        # pointing: argmax of the heatmap inside a sounding box, where something sounds
        heat = out['loc_logits']
        gt = batch['loc'].to(device)
        has = gt.flatten(1).sum(1) > 0
        arg = heat.flatten(1).argmax(1)
        hit = gt.flatten(1).gather(1, arg[:, None])[:, 0]
        locs.append(hit[has].cpu())
    model.train()
    named_sdr = float(torch.cat(named).mean()) if named else None
    return float(torch.cat(sdrs).mean()), float(torch.cat(locs).mean()), named_sdr


def make_optimizer(model, lr, only_class_queries=False):
    """AdamW over the whole model, or over the class queries alone with every other weight frozen."""
    if not only_class_queries:
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    for name, p in model.named_parameters():
        p.requires_grad_(name == 'class_queries')
    return torch.optim.AdamW([model.class_queries], lr=lr, weight_decay=0)


def resume(ckpt_path, model, opt, device, best):
    """Load a run's checkpoint; returns (step, best). A committed checkpoint keeps the weights only (a
    third of the size): Adam's moments then start afresh and rebuild within a few steps."""
    ck = torch.load(ckpt_path, map_location=device)
    model.load_state_dict(ck['model'])
    if 'opt' in ck:
        opt.load_state_dict(ck['opt'])
    else:
        print('no optimizer state in the checkpoint: it starts afresh', flush=True)
    step, best = ck['step'], ck.get('best', best)
    print(f'resumed at step {step} (best val SDR {best:.2f})', flush=True)
    return step, best


def keep_weights(ckpt_path, out_path):
    """Write a run's checkpoint without its optimizer state, small enough to commit; `resume` takes it
    back when copied to a run folder as ckpt.pt."""
    ck = torch.load(ckpt_path, map_location='cpu')
    tmp = out_path + '.tmp'
    torch.save({k: v for k, v in ck.items() if k != 'opt'}, tmp)
    os.replace(tmp, out_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default='training/runs/appearance')
    ap.add_argument('--bank', default='training/cache/bank.npz')
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--minutes', type=float, default=60)
    ap.add_argument('--steps', type=int, default=10 ** 9)
    ap.add_argument('--workers', type=int, default=max(1, (os.cpu_count() or 2) - 1))
    ap.add_argument('--val-every', type=int, default=500)
    ap.add_argument('--val-size', type=int, default=128)
    add_decay_arguments(ap, '--lr-end')
    ap.add_argument('--lr-end', type=float, default=1e-4, help='decay floor (an absolute rate)')
    ap.add_argument('--init', default=None, help='start from these weights (e.g. shipped best.pt)')
    ap.add_argument('--audio-width', type=int, default=16,
                    help="the audio U-Net's first-level channels (ngf) of a network trained from scratch; "
                         "a resumed or --init run keeps its weights' width")
    ap.add_argument('--variation', default='train', choices=['train', 'wide'],
                    help="training material: 'train' FluidR3 and espeak-ng only; 'wide' every sound set and "
                         "voice but the held-out ones, with recording augmentation (scene.py)")
    ap.add_argument('--queries', default='visual', choices=['visual', 'mixed'],
                    help="'mixed': sources are asked for by click, by class name or both (nets.py query); "
                         "the best checkpoint is then chosen on the mean of the click and name SDRs")
    ap.add_argument('--only-class-queries', action='store_true',
                    help='train the class queries alone on frozen --init weights: name queries for a shipped '
                         'network whose clicks must stay exactly as they are')
    args = ap.parse_args()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    os.makedirs(args.run, exist_ok=True)
    step, best = 0, -1e9
    ckpt_path = os.path.join(args.run, 'ckpt.pt')
    start = ckpt_path if os.path.exists(ckpt_path) else args.init
    width = audio_width_of(torch.load(start, map_location='cpu')['model']) if start else args.audio_width
    model = AppearanceModel(audio_width=width).to(device)
    opt = make_optimizer(model, args.lr, args.only_class_queries)
    if os.path.exists(ckpt_path):
        step, best = resume(ckpt_path, model, opt, device, best)
    elif args.init:
        model.load_weights(torch.load(args.init, map_location=device)['model'])
        print(f'initialised from {args.init}', flush=True)
    print(f'device {device}, audio width {width}, params {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M', flush=True)
    val = DataLoader(WorldDataset(args.bank, 'val', 0, args.val_size, kind='diff2',
                                  variation='wide' if args.variation == 'wide' else None), batch_size=16,
                     num_workers=args.workers)
    train = DataLoader(WorldDataset(args.bank, 'train', step * args.batch, 10 ** 9, variation=args.variation),
                       batch_size=args.batch,
                       num_workers=args.workers, shuffle=False, drop_last=True, persistent_workers=args.workers > 0,
                       **({'prefetch_factor': 4} if args.workers else {}))  # torch 1.13 rejects it without workers
    log = open(os.path.join(args.run, 'log.jsonl'), 'a')
    t0 = time.time()
    last_save = t0

    def save(tag='ckpt'):
        tmp = ckpt_path + '.tmp'
        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step, 'best': best}, tmp)
        os.replace(tmp, ckpt_path)

    run_loss = None
    for batch in train:
        progress = time_progress((time.time() - t0) / 60, args.minutes, args.decay_minutes)
        lr = learning_rate(step, args.lr, warmup=300, decay_start=args.decay_start,
                           decay_steps=args.decay_steps, floor=args.lr_end, progress=progress)
        for g in opt.param_groups:
            g['lr'] = lr
        if args.only_class_queries:
            model.eval()  # frozen network: batch-norm statistics must not move either
        out = forward_batch(model, batch, device, queries=args.queries)
        loss = out['loss_sep'] if args.only_class_queries else out['loss_sep'] + 0.5 * out['loss_loc']
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        cur = [out['loss_sep'].item(), out['loss_loc'].item()]
        run_loss = cur if run_loss is None else [0.98 * a + 0.02 * c for a, c in zip(run_loss, cur)]
        elapsed = (time.time() - t0) / 60
        if step % 50 == 0:
            print(f'step {step} sep {run_loss[0]:.4f} loc {run_loss[1]:.4f} {elapsed:.1f} min', flush=True)
        done = elapsed >= args.minutes or step >= args.steps
        if step % args.val_every == 0 or done:
            v_sdr, v_point, v_named = validate(model, val, device)
            rec = {'step': step, 'minutes': round(elapsed, 2), 'loss_sep': run_loss[0], 'loss_loc': run_loss[1],
                   'val_sdr': v_sdr, 'val_pointing': v_point, 'samples': step * args.batch, 'device': device,
                   'variation': args.variation, 'queries': args.queries}
            if v_named is not None:
                rec['val_sdr_by_name'] = v_named
            score = v_sdr if args.queries == 'visual' or v_named is None else (v_sdr + v_named) / 2
            log.write(json.dumps(rec) + '\n')
            log.flush()
            print('val', rec, flush=True)
            if score > best:
                best = score
                tmp = os.path.join(args.run, 'best.pt.tmp')
                torch.save({'model': model.state_dict(), 'step': step, 'val_sdr': v_sdr, 'val_pointing': v_point,
                            'val_sdr_by_name': v_named, 'variation': args.variation, 'queries': args.queries}, tmp)
                os.replace(tmp, os.path.join(args.run, 'best.pt'))
            save()
            last_save = time.time()
        elif time.time() - last_save > 300:
            save()
            last_save = time.time()
        if done:
            break
    save()
    print(f'finished at step {step}, best val score {best:.2f}', flush=True)


if __name__ == '__main__':
    main()
