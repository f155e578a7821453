"""The reference's model as HiTwinFormer defines it (reference.md 3.1-3.3), shared by
the bench scripts: SLeNet, SiameseNet (a SLeNet subclass, so the state_dict keys are
features.*, linear.* and mask, as in hitwin's checkpoints), LastLayerNN and the
contrastive loss. Written from the spec, not copied."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SLeNet(nn.Module):
    def __init__(self, image_size=224):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2, 2),
                                      nn.Conv2d(6, 16, 5), nn.MaxPool2d(2, 2))
        with torch.no_grad():
            flat = self.features(torch.zeros(1, 1, image_size, image_size)).numel()
        self.linear = nn.Sequential(nn.Dropout(0.5), nn.Linear(flat, 120), nn.GELU(),
                                    nn.Linear(120, 83), nn.GELU())

    def forward(self, x):
        return self.linear(torch.flatten(self.features(x), 1))


class SiameseNet(SLeNet):
    """HTF's SLeNet is a SiameseNet subclass: the state_dict keys are features.*,
    linear.* and mask, as in the checkpoint."""

    def __init__(self, image_size=224, mask=True):
        super().__init__(image_size)
        if mask:
            m = torch.tril(torch.ones(image_size, image_size), -3) + torch.triu(
                torch.ones(image_size, image_size), 3)
            self.mask = nn.Parameter(m.int(), requires_grad=False)
        else:
            self.mask = None

    def forward_one(self, x):
        return SLeNet.forward(self, x)

    def forward(self, x1, x2):
        x1 = x1 / torch.amax(x1, dim=(1, 2, 3), keepdim=True)
        x2 = x2 / torch.amax(x2, dim=(1, 2, 3), keepdim=True)
        if self.mask is not None:
            x1 = x1 * self.mask
            x2 = x2 * self.mask
        return self.forward_one(x1), self.forward_one(x2)


class LastLayerNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(2), nn.GELU(), nn.Softmax(dim=-1))

    def forward(self, x):
        return self.net(x)


def contrastive(e1, e2, y, margin=2.0):
    d = F.pairwise_distance(e1, e2)
    return torch.mean((1 - y) * d.pow(2) + y * torch.clamp(margin - d, min=0).pow(2))
