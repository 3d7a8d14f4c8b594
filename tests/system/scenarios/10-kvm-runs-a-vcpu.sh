# needs: kvm
# /dev/kvm works: a VM with one vCPU runs real-mode code that exits on OUT and HLT.
kvm_smoke
