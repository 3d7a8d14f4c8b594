savedcmd_/work/main/tools/linux-guest/modules.order := {   echo /work/main/tools/linux-guest/nestvm_viommu.o; :; } > /work/main/tools/linux-guest/modules.order
