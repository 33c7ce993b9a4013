"""An AVPC-style sound separation network (seed 003), for the comparison with the U-Net.

AVPC replaces "U-Net + separate fusion module" by one predictive-coding network: a feedforward path
compresses the spectrogram level by level, a feedback path predicts each level from the one above,
and a few recurrent cycles correct every level by its prediction error. The clicked pixel's visual
features are what the top level has to predict, so audio and vision are fused inside the recursion
(the visual prediction error flows down through every level) instead of in a separate module.

Our version keeps those ideas at our size: strided convolutions (cheaper than AVPC's pooling on a
laptop CPU), 7 levels from 256x256 down to 2x2, and the mask read out of the lowest level after the
last cycle. Unlike the U-Net, whose audio features are computed once and shared by every click, the
whole network runs once per clicked source.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nets import K, VisualNet
from ..train import gather_pixels

# Channels per level (level 0 is the input spectrogram). Chosen so the network has the U-Net's
# parameter count (1.89 M) within a few percent: see test_avpc_matches_unet_size.
CHANNELS = [1, 16, 32, 64, 128, 160, 192, 224]


class PredictiveCodingNet(nn.Module):
    def __init__(self, k=K, channels=CHANNELS, cycles=3):
        super().__init__()
        self.cycles = cycles
        c = channels
        n = len(c) - 1
        self.bn_in = nn.BatchNorm2d(1)
        # feedforward: level i -> level i+1 (halves the size); feedback: level i+1 -> prediction of level i
        self.ff = nn.ModuleList(nn.Conv2d(c[i], c[i + 1], 3, 2, 1, bias=False) for i in range(n))
        self.fb = nn.ModuleList(nn.Conv2d(c[i + 1], c[i], 3, 1, 1, bias=False) for i in range(1, n))
        self.bn_ff = nn.ModuleList(nn.BatchNorm2d(c[i + 1]) for i in range(n))
        # one norm per cycle and level, as in AVPC (the statistics differ from cycle to cycle)
        self.bn_cycle = nn.ModuleList(nn.BatchNorm2d(c[i]) for _ in range(cycles) for i in range(1, n + 1))
        # update rates: how far a level moves towards its top-down prediction (b) and by its error (a)
        self.a = nn.ParameterList(nn.Parameter(torch.full((1, c[i], 1, 1), 1.0)) for i in range(1, n + 1))
        self.b = nn.ParameterList(nn.Parameter(torch.full((1, c[i], 1, 1), 0.5)) for i in range(1, n))
        # the top level predicts the clicked pixel's visual features; their error is sent back down
        self.vis_pred = nn.Conv2d(c[n], k, 1, bias=False)
        self.vis_err = nn.Conv2d(k, c[n], 1, bias=False)
        self.out = nn.Conv2d(c[1], 1, 3, 1, 1)
        self.n = n

    def forward(self, log_mag, v):
        """log_mag (B, 1, 256, 256), v (B, K) visual features of one clicked pixel -> mask logits
        (B, 256, 256)."""
        n = self.n
        r = [self.bn_in(log_mag)]
        for i in range(n):                                  # first bottom-up sweep
            r.append(F.leaky_relu(self.bn_ff[i](self.ff[i](r[i])), 0.2))
        vis = v[:, :, None, None]
        for t in range(self.cycles):
            # error at the top: what the clicked object looks like minus what the sound predicts
            err_top = vis - self.vis_pred(r[n])
            r[n] = r[n] + F.relu(self.a[n - 1]) * self.vis_err(err_top)
            # top-down: each level moves towards the prediction from the level above
            for i in range(n - 1, 0, -1):
                pred = self.fb[i - 1](F.interpolate(r[i + 1], size=r[i].shape[-2:], mode='nearest'))
                b = F.relu(self.b[i - 1]).clamp(max=1)
                r[i] = (1 - b) * r[i] + b * pred
            # bottom-up: each level is corrected by the error its prediction made one level down
            for i in range(1, n + 1):
                if i > 1:
                    below_pred = self.fb[i - 2](F.interpolate(r[i], size=r[i - 1].shape[-2:], mode='nearest'))
                    r[i] = r[i] + F.relu(self.a[i - 1]) * self.ff[i - 1](r[i - 1] - below_pred)
                r[i] = F.leaky_relu(self.bn_cycle[t * n + i - 1](r[i]), 0.2)
        up = F.interpolate(r[1], scale_factor=2, mode='nearest')
        return self.out(up)[:, 0]


class AVPCSeparator(nn.Module):
    """VisualNet (the appearance stage's) + the predictive-coding sound network."""

    def __init__(self):
        super().__init__()
        self.visual = VisualNet()
        self.audio = PredictiveCodingNet()

    def forward(self, log_mag, frame, pixels):
        """log_mag (B, 1, 256, 256), frame (B, 3, 128, 224), pixels (B, N, 2) -> logits (B, N, 256, 256)."""
        v = gather_pixels(self.visual(frame), pixels)             # (B, N, K)
        b, n = v.shape[:2]
        lm = log_mag.unsqueeze(1).expand(-1, n, -1, -1, -1).flatten(0, 1)
        return self.audio(lm, v.flatten(0, 1)).view(b, n, *log_mag.shape[-2:])
