-- AlterTable
ALTER TABLE "InboundEvent" ADD COLUMN     "optOutRecorded" TEXT;
