"""Train the motion stage (AMnet) on top of a trained appearance stage.

    python3 -m training.train_motion --phase ame --run training/runs/motion --minutes 20
    python3 -m training.train_motion --phase ssr --run training/runs/motion \
        --appearance training/runs/appearance/best.pt --minutes 40

Phase 'ame': the motion network and the sound embedding learn the Audio-Motion Embedding on solo
scenes (triplet loss, aligned vs time-shifted audio, margin 2.0). Phase 'ssr': with the appearance
stage and the motion network frozen, the refinement network (SSR + Audio-Motion Transformer) learns
the residual spectra moved between the clicked sources by the opponent filter (BCE on the refined
binary masks, Eq. 5-6). Both phases resume from the run folder. Experiments add phases of their own
(training/experiments/cam.py) through main(phases=...).

The single-network ablations of AMnet's Table 7 train in their own run folders:

    python3 -m training.train_motion --phase ssr --variant motion-only --run training/runs/ablation-motion-only
    python3 -m training.train_motion --phase ssr --variant one-stage --run training/runs/ablation-one-stage
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from .audio import stft_mag
from .motion import DirectSeparator, MotionStage, ame_triplet, pool_motion
from .nets import AppearanceModel
from .schedule import add_decay_arguments, learning_rate, time_progress
from .train import bank, gather_pixels, loudest_source_masks
from .world.samples import MAX_SOURCES, make_motion_sample


class MotionDataset(Dataset):
    def __init__(self, bank_path, split, start, length, data, same_class_share=None, variation=None):
        """data: 'triplet' (solo scenes with room for a time-shifted negative) or 'separation'.
        variation: the world's material (None: FluidR3 and espeak-ng; 'wide': every sound set and voice
        with recording-like augmentation, see world/scene.py)."""
        self.bank_path, self.split, self.start, self.length, self.data = bank_path, split, start, length, data
        self.same_class_share, self.variation = same_class_share, variation

    def __len__(self):
        return self.length

    def scene_kind(self, i):
        """The kind of separation scene i, or None for the world's own mix (15 % same-class pairs).
        Same-class scenes are what the motion stage is for, so --same-class-share raises their share;
        on the wide material one in three of them is two voices at once, which only motion tells apart."""
        if self.same_class_share is None:
            return None
        u, v = np.random.default_rng([7, self.start + i]).random(2)
        if u >= self.same_class_share:
            return None
        return 'two_speakers' if self.variation == 'wide' and v < 1 / 3 else 'same2'

    def __getitem__(self, i):
        if self.data == 'triplet':
            s = make_motion_sample(bank(self.bank_path), self.split, self.start + i, kind='solo',
                                   variation=self.variation, shift_room_s=3.0)
        else:
            s = make_motion_sample(bank(self.bank_path), self.split, self.start + i, kind=self.scene_kind(i),
                                   variation=self.variation)
        return {k: torch.from_numpy(np.asarray(v)) for k, v in s.items()}


def ame_step(stage, app, batch, device):
    frames = batch['frames'].to(device).float()
    aligned = batch['sources'][:, 0].to(device)
    shifted = batch['shifted'].to(device)
    _, _, f3 = stage.motion(frames)
    la, _ = app.log_input(stft_mag(aligned))
    ls, _ = app.log_input(stft_mag(shifted))
    loss, d_pos, d_neg = ame_triplet(f3, stage.sound(la), stage.sound(ls))
    return loss, (d_pos < d_neg).float().mean()


def appearance_logits(app, batch, device):
    """Frozen appearance stage: mask logits for the clicked sources and the log mixture."""
    with torch.no_grad():
        mag = stft_mag(batch['mix'].to(device))
        feats, norm = app.audio_features(mag)
        vis = app.visual(batch['frame'].to(device).float())
        v = gather_pixels(vis, batch['pixels'].to(device))
        logits = app.synth(v, feats)
        log_mix, _ = app.log_input(mag)
    return logits, log_mix


def ground_truth(app, batch, device):
    src = batch['sources'].to(device)
    valid = batch['valid'].to(device)
    b = src.shape[0]
    mag_src = stft_mag(src.flatten(0, 1))
    return loudest_source_masks(app.warp, mag_src.view(b, MAX_SOURCES, *mag_src.shape[1:]), valid)


def refinement_groups(params, stage, lr, tune_motion_net):
    """The optimizer's groups: `params` at lr and, with tune_motion_net, the motion network's at
    lr / 5; each keeps its rate as base_lr for the schedule."""
    groups = [{'params': list(params), 'lr': lr}]
    if tune_motion_net:
        groups.append({'params': list(stage.motion.parameters()), 'lr': lr / 5})
    for g in groups:
        g['base_lr'] = g['lr']
    return groups


def refinement_loss(logits, gt, log_mix, valid):
    """BCE on the refined binary masks (Eq. 6), each bin weighted by the mixture's log magnitude
    (Sound of Pixels' weighting), padded sources left out."""
    weight = torch.clamp(torch.log1p(log_mix.exp() - 1e-3).clamp(min=0), 1e-3, 10.0) * valid[:, :, None, None]
    bce = F.binary_cross_entropy_with_logits(logits, gt, reduction='none')
    return (bce * weight).sum() / weight.expand_as(bce).sum()


def ssr_step(stage, app, batch, device, direct=None):
    """BCE on the refined binary masks (Eq. 6). With `direct` (an ablation), that network's masks
    replace the two-stage refinement: it sees the mixture and the click's motion (and appearance)
    features, not the appearance stage's mask."""
    valid = batch['valid'].to(device)
    app_logits, log_mix = appearance_logits(app, batch, device)
    with torch.set_grad_enabled(stage.motion.training):
        f1, _, _ = stage.motion(batch['frames'].to(device).float())
    motion_feats = pool_motion(f1, batch['pixels'].to(device))
    if direct is None:
        refined = stage.refine(app_logits, log_mix, motion_feats, valid)
    else:
        with torch.no_grad():
            v = gather_pixels(app.visual(batch['frame'].to(device).float()), batch['pixels'].to(device))
        refined = direct(log_mix, motion_feats, v)
    gt = ground_truth(app, batch, device)
    loss = refinement_loss(refined, gt, log_mix, valid)
    with torch.no_grad():
        base = refinement_loss(app_logits, gt, log_mix, valid)
    return loss, base


VARIANTS = ('two-stage', 'one-stage', 'motion-only')


class Phase:
    """What one phase trains (setup returns the parameters and sets train/eval modes) and on which
    data: 'triplet' phases take ame_step on solo scenes, 'separation' phases ssr_step on mixtures."""

    def __init__(self, setup, data):
        self.setup, self.data = setup, data


def setup_ame(stage, direct):
    stage.train()
    return list(stage.motion.parameters()) + list(stage.sound.parameters())


def setup_ssr(stage, direct):
    stage.motion.eval()
    stage.sound.eval()
    (stage.ssr if direct is None else direct).train()
    return list((stage.ssr if direct is None else direct).parameters())


PHASES = {'ame': Phase(setup_ame, 'triplet'), 'ssr': Phase(setup_ssr, 'separation')}


def main(phases=PHASES):
    ap = argparse.ArgumentParser()
    ap.add_argument('--phase', choices=list(phases), required=True)
    ap.add_argument('--run', default='training/runs/motion')
    ap.add_argument('--appearance', default='training/runs/appearance/best.pt')
    ap.add_argument('--bank', default='training/cache/bank.npz')
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--lr', type=float, default=5e-4)
    ap.add_argument('--minutes', type=float, default=20)
    ap.add_argument('--steps', type=int, default=10 ** 9)
    ap.add_argument('--workers', type=int, default=1)
    ap.add_argument('--variant', choices=VARIANTS, default='two-stage',
                    help="ssr phase only: the shipped two-stage refinement, or one of Table 7's single-network "
                         "ablations (trained from scratch in their own run folder, on the frozen motion "
                         "network of --motion-from)")
    ap.add_argument('--motion-from', default='training/runs/motion/motion.pt')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: PyTorch default)')
    add_decay_arguments(ap, '--lr-end-fraction x the base rate')
    ap.add_argument('--lr-end-fraction', type=float, default=0.1,
                    help='decay floor, as a fraction of each parameter group\'s base rate')
    ap.add_argument('--same-class-share', type=float, default=None,
                    help='ssr phase: share of same-class scenes (default: the world mix, 15 %%)')
    ap.add_argument('--variation', default=None, choices=['wide'],
                    help="'wide': train on every sound set and voice with recording-like augmentation "
                         "(what users' files sound like; the appearance stage's --variation wide)")
    ap.add_argument('--tune-motion-net', action='store_true',
                    help='ssr phase: fine-tune the motion network with the refinement (at lr / 5)')
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    os.makedirs(args.run, exist_ok=True)
    stage = MotionStage().to(device)
    app = AppearanceModel.from_weights(torch.load(args.appearance, map_location=device)['model']).to(device)
    app.eval()
    ck_path = os.path.join(args.run, 'motion.pt')
    step_key = f'{args.phase}_step'
    steps = {f'{p}_step': 0 for p in phases}
    direct = None
    if args.variant != 'two-stage':
        assert args.phase == 'ssr', 'the ablations are refinement-phase variants'
        direct = DirectSeparator(use_appearance=args.variant == 'one-stage').to(device)
        stage.load_state_dict(torch.load(args.motion_from, map_location=device)['model'])
    if os.path.exists(ck_path):
        ck = torch.load(ck_path, map_location=device)
        (stage if direct is None else direct).load_state_dict(ck['model'])
        steps.update({k: v for k, v in ck.items() if k.endswith('_step')})  # keeps other phases' counts
        print(f'resumed {ck_path} at {steps}', flush=True)
    tune_motion_net = args.phase == 'ssr' and args.tune_motion_net
    if tune_motion_net:
        stage.motion.train()
    groups = refinement_groups(phases[args.phase].setup(stage, direct), stage, args.lr, tune_motion_net)
    params = [p for g in groups for p in g['params']]
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=1e-4)
    start = steps[step_key]
    data = phases[args.phase].data
    loader = DataLoader(MotionDataset(args.bank, 'train', 10 ** 7 + start * args.batch, 10 ** 9, data,
                                      args.same_class_share, args.variation),
                        batch_size=args.batch, num_workers=args.workers, drop_last=True,
                        persistent_workers=args.workers > 0, **({"prefetch_factor": 4} if args.workers else {}))
    log = open(os.path.join(args.run, f'{args.phase}.jsonl'), 'a')
    t0, last_save, run = time.time(), time.time(), None

    def save():
        tmp = ck_path + '.tmp'
        torch.save({'model': (stage if direct is None else direct).state_dict(), 'variant': args.variant, **steps}, tmp)
        os.replace(tmp, ck_path)

    for batch in loader:
        progress = time_progress((time.time() - t0) / 60, args.minutes, args.decay_minutes)
        scale = learning_rate(steps[step_key], 1.0, decay_start=args.decay_start, decay_steps=args.decay_steps,
                              floor=args.lr_end_fraction, progress=progress)
        for g in opt.param_groups:
            g['lr'] = g['base_lr'] * scale
        if data == 'triplet':
            loss, metric = ame_step(stage, app, batch, device)
        else:
            loss, metric = ssr_step(stage, app, batch, device, direct)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        steps[step_key] += 1
        cur = [loss.item(), float(metric)]
        run = cur if run is None else [0.95 * a + 0.05 * c for a, c in zip(run, cur)]
        minutes = (time.time() - t0) / 60
        if steps[step_key] % 20 == 0:
            name = 'appearance_bce' if data == 'separation' else 'sync_acc'
            rec = {'step': steps[step_key], 'minutes': round(minutes, 2), 'loss': run[0], name: run[1]}
            log.write(json.dumps(rec) + '\n')
            log.flush()
            print(rec, flush=True)
        if time.time() - last_save > 180:
            save()
            last_save = time.time()
        if minutes >= args.minutes or steps[step_key] - start >= args.steps:
            break
    save()
    print('saved', ck_path, steps, flush=True)


if __name__ == '__main__':
    main()
