savedcmd_/work/main/tools/linux-guest/nestvm_viommu.o := ld -m elf_x86_64 -z noexecstack --no-warn-rwx-segments   -r -o /work/main/tools/linux-guest/nestvm_viommu.o @/work/main/tools/linux-guest/nestvm_viommu.mod  ; ./tools/objtool/objtool --hacks=jump_label --hacks=noinstr --ibt --static-call --uaccess  --link  --module /work/main/tools/linux-guest/nestvm_viommu.o

/work/main/tools/linux-guest/nestvm_viommu.o: $(wildcard ./tools/objtool/objtool)
