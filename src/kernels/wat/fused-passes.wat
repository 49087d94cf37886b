(module
  (type (;0;) (func (param i32 i32 i32 i32 i32)))
  (type (;1;) (func (param i32 i32 i32)))
  (import "env" "memory" (memory (;0;) 1))
  (func (;0;) (type 0) (param i32 i32 i32 i32 i32)
    (local i32 i32 v128 v128 v128 f32)
    f32.const 0x0p+0 (;=0;)
    f32x4.splat
    local.set 8
    f32.const 0x1p+0 (;=1;)
    f32x4.splat
    local.set 9
    i32.const 0
    local.set 5
    block  ;; label = @1
      local.get 5
      i32.const 0
      i32.add
      local.get 3
      i32.lt_s
      i32.eqz
      br_if 0 (;@1;)
      loop  ;; label = @2
        i32.const 0
        local.set 6
        block  ;; label = @3
          local.get 6
          i32.const 3
          i32.add
          local.get 4
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 0
            local.get 6
            i32.const 2
            i32.shl
            i32.add
            v128.load
            local.set 7
            local.get 1
            local.get 6
            i32.const 2
            i32.shl
            i32.add
            local.get 7
            local.get 8
            f32x4.max
            v128.store
            local.get 2
            local.get 6
            i32.const 2
            i32.shl
            i32.add
            local.get 7
            local.get 7
            local.get 8
            f32x4.gt
            local.get 9
            v128.and
            local.get 7
            local.get 7
            f32x4.ne
            v128.bitselect
            v128.store
            local.get 6
            i32.const 4
            i32.add
            local.set 6
            local.get 6
            i32.const 3
            i32.add
            local.get 4
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 6
        local.set 6
        block  ;; label = @3
          local.get 6
          i32.const 0
          i32.add
          local.get 4
          i32.lt_s
          i32.eqz
          br_if 0 (;@3;)
          loop  ;; label = @4
            local.get 0
            local.get 6
            i32.const 2
            i32.shl
            i32.add
            f32.load
            local.set 10
            local.get 1
            local.get 6
            i32.const 2
            i32.shl
            i32.add
            local.get 10
            f32.const 0x0p+0 (;=0;)
            f32.max
            f32.store
            local.get 2
            local.get 6
            i32.const 2
            i32.shl
            i32.add
            f32.const 0x1p+0 (;=1;)
            local.get 10
            f32.const 0x0p+0 (;=0;)
            local.get 10
            local.get 10
            f32.ne
            select
            local.get 10
            f32.const 0x0p+0 (;=0;)
            f32.gt
            select
            f32.store
            local.get 6
            i32.const 1
            i32.add
            local.set 6
            local.get 6
            i32.const 0
            i32.add
            local.get 4
            i32.lt_s
            br_if 0 (;@4;)
          end
        end
        local.get 1
        local.get 4
        i32.const 2
        i32.shl
        i32.add
        f32.const 0x1p+0 (;=1;)
        f32.store
        local.get 0
        local.get 4
        i32.const 2
        i32.shl
        i32.add
        local.set 0
        local.get 2
        local.get 4
        i32.const 2
        i32.shl
        i32.add
        local.set 2
        local.get 1
        local.get 4
        i32.const 1
        i32.add
        i32.const 2
        i32.shl
        i32.add
        local.set 1
        local.get 5
        i32.const 1
        i32.add
        local.set 5
        local.get 5
        i32.const 0
        i32.add
        local.get 3
        i32.lt_s
        br_if 0 (;@2;)
      end
    end)
  (func (;1;) (type 1) (param i32 i32 i32)
    (local i32)
    i32.const 0
    local.set 3
    block  ;; label = @1
      local.get 3
      i32.const 3
      i32.add
      local.get 2
      i32.lt_s
      i32.eqz
      br_if 0 (;@1;)
      loop  ;; label = @2
        local.get 0
        local.get 3
        i32.const 2
        i32.shl
        i32.add
        local.get 0
        local.get 3
        i32.const 2
        i32.shl
        i32.add
        v128.load
        local.get 1
        local.get 3
        i32.const 2
        i32.shl
        i32.add
        v128.load
        f32x4.mul
        v128.store
        local.get 3
        i32.const 4
        i32.add
        local.set 3
        local.get 3
        i32.const 3
        i32.add
        local.get 2
        i32.lt_s
        br_if 0 (;@2;)
      end
    end
    local.get 3
    local.set 3
    block  ;; label = @1
      local.get 3
      i32.const 0
      i32.add
      local.get 2
      i32.lt_s
      i32.eqz
      br_if 0 (;@1;)
      loop  ;; label = @2
        local.get 0
        local.get 3
        i32.const 2
        i32.shl
        i32.add
        local.get 0
        local.get 3
        i32.const 2
        i32.shl
        i32.add
        f32.load
        local.get 1
        local.get 3
        i32.const 2
        i32.shl
        i32.add
        f32.load
        f32.mul
        f32.store
        local.get 3
        i32.const 1
        i32.add
        local.set 3
        local.get 3
        i32.const 0
        i32.add
        local.get 2
        i32.lt_s
        br_if 0 (;@2;)
      end
    end)
  (export "reluWithOnes" (func 0))
  (export "multiplyInPlace" (func 1)))
