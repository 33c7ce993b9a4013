"""The motion stage (AMnet, seed 002): motion network trained with the Audio-Motion Embedding,
Sound Spectrogram Refinement (SSR) encoder-decoder with the Audio-Motion Transformer (AMT), and the
residual fusion / opponent filter that moves energy between the selected sources (Eq. 3-4, COF).

MotionNet E_M: a stack of T frames (the app's 224x128 RGB frames at 8 fps, made grey and halved in
the graph) -> f_M1 (C_M, T, 16, 28) on the appearance grid; f_M2 = 1x1x1 conv -> (1, T, 16, 28) (its
map is the motion class-activation map used for localization); f_M3 = its spatial soft-max pooling
-> (1, T): the embedding is drawn from where the map is highest, so matching the sound teaches the map
where the sounding motion is (a spatial mean taught it a synchronisation signal but no place).
SoundEmbed E_S: the 256x256 log-frequency magnitude of a source -> (1, T), compared with f_M3 by the
triplet loss of Eq. 1 (aligned vs time-shifted audio, margin 2.0).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MOTION_T = 48          # frames at 8 fps in one model window (5.94 s)
C_M = 32


def conv3d_bn(cin, cout, k, stride=1):
    pad = tuple(x // 2 for x in k)
    return nn.Sequential(nn.Conv3d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm3d(cout),
                         nn.ReLU(inplace=True))


class MotionNet(nn.Module):
    def __init__(self, c=C_M):
        super().__init__()
        self.body = nn.Sequential(
            conv3d_bn(2, 16, (3, 3, 3), (1, 2, 2)),           # 64x112 -> 32x56
            conv3d_bn(16, c, (1, 3, 3), (1, 2, 2)),           # -> 16x28 (the appearance grid)
            conv3d_bn(c, c, (3, 1, 1)),                        # (2+1)D: time after space
            conv3d_bn(c, c, (1, 3, 3)),
            conv3d_bn(c, c, (3, 1, 1)),
        )
        self.to_map = nn.Conv3d(c, 1, 1)

    @staticmethod
    def prepare(frames):
        """frames (B, T, 3, 128, 224) RGB 0..255 -> (B, 2, T, 64, 112): grey level and its change."""
        grey = (frames * torch.tensor([0.299, 0.587, 0.114], device=frames.device).view(1, 1, 3, 1, 1)).sum(2)
        grey = F.avg_pool2d(grey, 2) / 255.0                                   # (B, T, 64, 112)
        diff = torch.cat([torch.zeros_like(grey[:, :1]), grey[:, 1:] - grey[:, :-1]], 1)
        return torch.stack([grey - 0.5, diff * 4], 1)

    def forward(self, frames):
        f1 = self.body(self.prepare(frames))          # (B, C, T, 16, 28)
        f2 = self.to_map(f1)                           # (B, 1, T, 16, 28)
        flat = f2.flatten(3)                           # (B, 1, T, h*w)
        f3 = (torch.softmax(flat, -1) * flat).sum(-1)  # (B, 1, T)
        return f1, f2, f3


class SoundEmbed(nn.Module):
    """E_S: log-frequency magnitude (B, 1, 256, 256) -> (B, 1, T) on the video frame rate."""

    def __init__(self, t=MOTION_T):
        super().__init__()
        self.t = t
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, (4, 1), 1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.Conv2d(16, 32, 3, (4, 1), 1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, (4, 1), 1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        )
        self.out = nn.Conv1d(32, 1, 3, 1, 1)

    def forward(self, log_mag):
        h = self.net(log_mag).mean(2)                 # (B, 32, 256)
        return F.adaptive_avg_pool1d(self.out(h), self.t)


def ame_triplet(motion_emb, aligned_emb, shifted_emb, margin=2.0):
    """Eq. 1: max(d(E_M(v), E_S(x_aligned)) - d(E_M(v), E_S(x_shifted)) + margin, 0)."""
    d_pos = (motion_emb - aligned_emb).flatten(1).norm(dim=1)
    d_neg = (motion_emb - shifted_emb).flatten(1).norm(dim=1)
    return F.relu(d_pos - d_neg + margin).mean(), d_pos, d_neg


def pool_motion(f1, centres, sigma=2.0):
    """Motion features of each clicked source: f_M1 pooled spatially with a Gaussian around the
    click (grid cells). f1 (B, C, T, h, w), centres (B, N, 2) as (gy, gx) -> (B, N, C, T)."""
    b, c, t, h, w = f1.shape
    gy = torch.arange(h, device=f1.device).view(1, 1, h, 1).float()
    gx = torch.arange(w, device=f1.device).view(1, 1, 1, w).float()
    cy = centres[..., 0].float().view(b, -1, 1, 1)
    cx = centres[..., 1].float().view(b, -1, 1, 1)
    wgt = torch.exp(-((gy - cy) ** 2 + (gx - cx) ** 2) / (2 * sigma ** 2))      # (B, N, h, w)
    wgt = wgt / wgt.sum(dim=(2, 3), keepdim=True)
    return torch.einsum('bcthw,bnhw->bnct', f1, wgt)


class PositionalEncoding(nn.Module):
    def __init__(self, dim, max_len=512):
        super().__init__()
        pos = torch.arange(max_len).float().unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2).float() * (-math.log(10000.0) / dim))
        pe = torch.zeros(max_len, dim)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer('pe', pe)

    def forward(self, x):              # (B, L, D)
        return x + self.pe[:x.shape[1]].unsqueeze(0)


class AudioMotionTransformer(nn.Module):
    """Self-attention over motion features and over sound features, then cross-attention from
    sound (queries) to motion (keys, values); each with a residual connection and layer norm."""

    def __init__(self, dim=64, heads=4):
        super().__init__()
        self.pos = PositionalEncoding(dim)
        self.motion_self = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.sound_self = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.cross = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(4))
        self.ff = nn.Sequential(nn.Linear(dim, dim * 2), nn.ReLU(inplace=True), nn.Linear(dim * 2, dim))

    def forward(self, sound, motion):
        m = self.pos(motion)
        m = self.norms[0](m + self.motion_self(m, m, m, need_weights=False)[0])
        s = self.pos(sound)
        s = self.norms[1](s + self.sound_self(s, s, s, need_weights=False)[0])
        s = self.norms[2](s + self.cross(s, m, m, need_weights=False)[0])
        return self.norms[3](s + self.ff(s))


class SSR(nn.Module):
    """Sound Spectrogram Refinement: encoder (down to 16x16 tokens), AMT, decoder with skips ->
    residual spectrum r_n (1, 256, 256) of the source: the component it should hand to the others."""

    def __init__(self, c_m=C_M, dim=64):
        super().__init__()
        chans = [2, 16, 32, 64, dim]
        self.downs = nn.ModuleList(nn.Sequential(nn.Conv2d(chans[i], chans[i + 1], 4, 2, 1),
                                                 nn.BatchNorm2d(chans[i + 1]), nn.LeakyReLU(0.2, True))
                                   for i in range(4))
        self.motion_in = nn.Linear(c_m, dim)
        self.amt = AudioMotionTransformer(dim)
        # Decoder back to 128x128 with skips; the residual is upsampled to 256 (it is smooth, and
        # a full-resolution conv would cost more than the rest of the stage together).
        ups = []
        for i in reversed(range(1, 4)):
            ups.append(nn.Sequential(nn.Upsample(scale_factor=2, mode='nearest'),
                                     nn.Conv2d(chans[i + 1] * 2, chans[i], 3, 1, 1), nn.BatchNorm2d(chans[i]),
                                     nn.ReLU(True)))
        self.ups = nn.ModuleList(ups)
        self.out = nn.Conv2d(chans[1] * 2, 1, 1)
        nn.init.zeros_(self.out.weight)   # start as the identity refinement (r = 0)
        nn.init.zeros_(self.out.bias)

    def forward(self, spec_in, motion):
        """spec_in (B, 2, 256, 256); motion (B, C_M, T) -> residual logits (B, 256, 256)."""
        x, skips = spec_in, []
        for d in self.downs:
            x = d(x)
            skips.append(x)
        b, d, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)                       # (B, h*w, D), time-major order
        fused = self.amt(tokens, self.motion_in(motion.transpose(1, 2)))
        x = fused.transpose(1, 2).reshape(b, d, h, w)
        for up in self.ups:
            x = up(torch.cat([x, skips.pop()], 1))
        x = self.out(torch.cat([x, skips.pop()], 1))                # (B, 1, 128, 128)
        return F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)[:, 0]


def opponent_fusion(app_logits, residuals, valid):
    """Residual fusion (Eq. 4) for N sources: each source gives away its residual r_n and receives
    the others' residuals shared equally; for two sources f_1 = f_app,1 - r_1->2 + r_2->1.
    app_logits, residuals (B, N, F, T); valid (B, N) 0/1."""
    v = valid[:, :, None, None]
    r = residuals * v
    n_other = (valid.sum(1)[:, None, None, None] - v).clamp(min=1)
    received = (r.sum(1, keepdim=True) - r) / n_other
    return app_logits - r + received * v


class MotionStage(nn.Module):
    def __init__(self):
        super().__init__()
        self.motion = MotionNet()
        self.sound = SoundEmbed()
        self.ssr = SSR()

    @classmethod
    def from_weights(cls, state):
        """A stage of the shape `state` was saved from (told each source's activity or not)."""
        stage = cls()
        if state['ssr.motion_in.weight'].shape[1] == C_M + 1:
            stage.tell_activity()
        stage.load_state_dict(state)
        return stage

    @property
    def told(self):
        """Whether the refinement reads each source's activity beside its motion features."""
        return self.ssr.motion_in.in_features == C_M + 1

    def tell_activity(self):
        """One more motion-feature channel into the refinement's transformer, its weights 0, for
        each source's activity (how far its thing stands from its rest, as the app's tracker
        follows it): the stage's function is unchanged until training moves them."""
        old = self.ssr.motion_in
        new = nn.Linear(C_M + 1, old.out_features)
        with torch.no_grad():
            new.weight.zero_()
            new.weight[:, :C_M] = old.weight
            new.bias.copy_(old.bias)
        self.ssr.motion_in = new

    def refine(self, app_logits, log_mix, motion_feats, valid, activity=None):
        """app_logits (B, N, 256, 256), log_mix (B, 1, 256, 256), motion_feats (B, N, C_M, T),
        activity (B, N, T) 0..1 when the stage is told it -> refined logits (B, N, 256, 256)."""
        if self.told:
            if activity is None:
                raise ValueError('this refinement reads each source\'s activity: pass activity (B, N, T)')
            motion_feats = torch.cat([motion_feats, activity[:, :, None, :]], 2)
        b, n = app_logits.shape[:2]
        masked = torch.log(torch.sigmoid(app_logits) * log_mix.exp() + 1e-3)
        spec_in = torch.stack([masked, log_mix.expand(-1, n, -1, -1)], 2).flatten(0, 1)
        res = self.ssr(spec_in, motion_feats.flatten(0, 1)).view(b, n, *app_logits.shape[2:])
        return opponent_fusion(app_logits, res, valid)


class DirectSeparator(nn.Module):
    """The single-network ablations of AMnet's Table 7: the SSR encoder-decoder with its Audio-Motion
    Transformer maps the mixture straight to the clicked source's mask logits, conditioned on the
    motion features at the click (motion-only) or on them and the click's appearance features
    (one-stage appearance + motion). No first-stage mask, no opponent filter."""

    def __init__(self, use_appearance, k=24):
        super().__init__()
        self.use_appearance = use_appearance
        self.ssr = SSR(c_m=C_M + (k if use_appearance else 0))

    def forward(self, log_mix, motion_feats, v=None):
        """log_mix (B, 1, 256, 256), motion_feats (B, N, C_M, T), v (B, N, K) -> logits (B, N, 256, 256)."""
        b, n, _, t = motion_feats.shape
        cond = motion_feats
        if self.use_appearance:
            cond = torch.cat([motion_feats, v[..., None].expand(-1, -1, -1, t)], 2)
        spec_in = torch.cat([log_mix, torch.zeros_like(log_mix)], 1)
        spec_in = spec_in.unsqueeze(1).expand(-1, n, -1, -1, -1).flatten(0, 1)
        return self.ssr(spec_in, cond.flatten(0, 1)).view(b, n, *log_mix.shape[-2:])


def tracker_like(env, rng=None):
    """Envelopes (B, N, T) -> activities as a tracker gives them, each over its window's maximum.
    With `rng` (training) they are made as rough as a tracker's: a gain, noise, sometimes smoothed,
    a lag of up to a frame, and 5 % of the sources lost (all 0)."""
    a = env.clone()
    if rng is not None:
        b, n, t = a.shape
        a = a * torch.empty(b, n, 1).uniform_(0.6, 1.4) + 0.05 * torch.randn(b, n, t)
        if rng.random() < 0.5:
            a = F.avg_pool1d(a.reshape(b * n, 1, t), 3, 1, 1).view(b, n, t)
        a = torch.roll(a, int(rng.integers(-1, 2)), 2).clamp(min=0)
        a = a * (torch.rand(b, n, 1) >= 0.05).float()
    return a / (a.amax(2, keepdim=True) + 1e-3)
