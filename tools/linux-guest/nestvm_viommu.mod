/work/main/tools/linux-guest/main.o
/work/main/tools/linux-guest/request.o
/work/main/tools/linux-guest/endpoint.o
/work/main/tools/linux-guest/domain.o
/work/main/tools/linux-guest/pgtable.o
/work/main/tools/linux-guest/event.o
