import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    # The CI machine is shared: several intra-op threads spin-wait on each other when cores are busy.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def toy():
    import gtdata

    return gtdata.ToyData(factor_sizes=(3, 4, 5))
